"""``manage.py seed_demo``: demo data to log in to and look at. Idempotent.

Creates an administrator, five agents with presence, two queues with different
member priorities, CRM customers (with owners, one VIP) and waiting, assigned
and closed chats with messages and events; one customer link confirmed by an
agent (verified), the other typed e-mails claims (unverified). Everything that has a rule goes
through the services (chat_start, chat_assign, message_post, chat_close,
presence_*, customer_*, queue_*), so the counters and the history are what the
product itself would have written.

Run it again and nothing is added: users, queues and customers are looked up
by their natural keys, and the activity (presence changes and chats) is
created only when no demo chat exists yet. The whole run is one transaction,
so the dispatch it triggers runs once, after commit, on the final state: the
waiting demo chats have no eligible agent and stay waiting.

It sets the administrator's and the agents' passwords to the public demo values,
so it refuses to run when DEBUG is off (a production database) unless given
``--force``, and then changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, Q

from agents.models import PauseType, User
from agents.services import presence_get, presence_login, presence_pause, presence_set_phone_call
from chat.models import Chat, ChatEvent, Message, Queue
from chat.services.chats import chat_assign, chat_close, chat_customer_confirm, chat_start
from chat.services.messages import message_post
from chat.services.queues import queue_create, queue_member_set
from chat.services.rules import chats_stop_auto_assign
from crm.models import Customer
from crm.services import customer_create, customer_update

ADMIN = ("admin", "parley-admin")
AGENT_PASSWORD = "parley-agent"
AGENTS = [
    # username, first name, last name
    ("anna", "Anna", "Nowicka"),
    ("bartek", "Bartek", "Zieliński"),
    ("celina", "Celina", "Lewandowska"),
    ("dawid", "Dawid", "Kamiński"),
    ("ewa", "Ewa", "Dąbrowska"),
]
SALES, SUPPORT = "Sprzedaż", "Wsparcie"
QUEUES = {
    SALES: "Pytania o ofertę i zamówienia (Sales).",
    SUPPORT: "Pomoc techniczna i reklamacje (Support).",
}
# queue -> {agent: priority}; a higher priority gets chats first.
MEMBERSHIPS = {
    SALES: {"anna": 10, "bartek": 5, "dawid": 1, "ewa": 0},
    SUPPORT: {"celina": 10, "ewa": 5, "anna": 0},
}
CUSTOMERS = [
    # name, e-mail, phone, Messenger id, owner, VIP
    ("Jan Kowalski", "jan.kowalski@example.com", "+48 600 100 200", "", "anna", True),
    ("Maria Nowak", "maria.nowak@example.com", "+48 601 200 300", "", "bartek", False),
    ("Piotr Wiśniewski", "piotr.wisniewski@example.com", "+48 602 300 400", "", None, False),
    ("Katarzyna Wójcik", "katarzyna.wojcik@example.com", "+48 603 400 500", "", "celina", False),
    ("Tomasz Mazur", "tomasz.mazur@example.com", "", "demo-psid-1001", None, False),
]
DEMO_KEY = "demo-"


class Command(BaseCommand):
    help = "Create idempotent demo data: an admin, agents with presence, queues, customers and chats."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even when DEBUG is off. It sets the demo passwords of admin and the agents: "
            "never on a production database.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it would set the passwords of 'admin' and the demo "
                "agents to the public demo values. Use it on a development database (DEBUG=true), or add "
                "--force if this database is really a demo."
            )
        with transaction.atomic():
            users = self.users()
            queues = self.queues(users)
            self.customers(users)
            if self.has_demo_chats():
                self.stdout.write("Demo chats already exist: nothing added.")
            else:
                self.activity(users, queues)
                self.stdout.write(self.style.SUCCESS("Demo data created."))
        self.stdout.write(self.summary())

    # --- people and structure (looked up by natural keys) ---------------------------------------------------------

    def user(self, username, password, **fields) -> User:
        user, _created = User.objects.get_or_create(username=username, defaults=fields)
        changed = [name for name, value in fields.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, fields[name])
        if not user.check_password(password):
            user.set_password(password)
            changed.append("password")
        if changed:
            user.save()
        return user

    def users(self) -> dict[str, User]:
        users = {
            "admin": self.user(
                ADMIN[0], ADMIN[1], email="admin@parley.example", first_name="Admin", is_staff=True, is_superuser=True
            )
        }
        for username, first, last in AGENTS:
            users[username] = self.user(
                username, AGENT_PASSWORD, first_name=first, last_name=last, email=f"{username}@parley.example"
            )
            presence_get(agent_id=users[username].pk)
        return users

    def queues(self, users) -> dict[str, Queue]:
        queues = {}
        for name, description in QUEUES.items():
            queue = Queue.objects.filter(name=name).first() or queue_create(name=name, description=description)
            queues[name] = queue
            for username, priority in MEMBERSHIPS[name].items():
                queue_member_set(queue_id=queue.pk, agent_id=users[username].pk, priority=priority)
        return queues

    def customers(self, users) -> None:
        for name, email, phone, messenger_id, owner, vip in CUSTOMERS:
            owner_id = users[owner].pk if owner else None
            wanted = {"name": name, "phone": phone, "messenger_id": messenger_id, "vip": vip}
            customer = Customer.objects.filter(email__iexact=email).first()
            if customer is None:
                customer_create(email=email, owner_id=owner_id, **wanted)
                continue
            stored = {key: getattr(customer, key) or ("" if key != "vip" else False) for key in wanted}
            if stored != wanted or customer.owner_id != owner_id:
                customer_update(customer_id=customer.pk, owner=owner_id, **wanted)

    @staticmethod
    def has_demo_chats() -> bool:
        return Chat.objects.filter(
            Q(visitor_key__startswith=DEMO_KEY) | Q(visitor_messenger_id__startswith=DEMO_KEY)
        ).exists()

    # --- activity (once) ------------------------------------------------------------------------------------------

    def activity(self, users, queues) -> None:
        anna, bartek, celina, dawid = (users[name] for name in ("anna", "bartek", "celina", "dawid"))
        # Presence: anna and bartek available, celina on a break, dawid on a phone call, ewa logged out.
        for agent in (anna, bartek, celina, dawid):
            presence_login(agent_id=agent.pk)
        presence_pause(agent_id=celina.pk, pause_type_id=PauseType.objects.get(code="break").pk, reason="demo")
        presence_set_phone_call(agent_id=dawid.pk, on_call=True)

        sales, support = queues[SALES].pk, queues[SUPPORT].pk
        n = iter(range(1, 1000))

        def website(queue_id, name, email=""):
            return chat_start(
                channel=Chat.Channel.WEBSITE,
                queue_id=queue_id,
                visitor_name=name,
                visitor_email=email,
                visitor_key=f"{DEMO_KEY}{next(n)}",
                page_url="https://www.example.com/oferta",
            )

        def talk(chat, agent, lines):
            for sender, body in lines:
                message_post(
                    chat_id=chat.pk,
                    sender=sender,
                    body=body,
                    author_id=agent.pk if sender == Message.Sender.AGENT else None,
                )

        # Closed chats, moved back in time: the customers' history.
        chat = website(sales, "Maria Nowak", "maria.nowak@example.com")
        chat_assign(chat_id=chat.pk, agent_id=bartek.pk)
        talk(
            chat,
            bartek,
            [
                ("client", "Dzień dobry, czy zamówienie 1234 zostało już wysłane?"),
                ("agent", "Dzień dobry! Tak, paczka wyszła wczoraj, numer przesyłki jest w e-mailu."),
                ("client", "Dziękuję, to wszystko."),
            ],
        )
        self.close_in_the_past(chat, reason=Chat.CloseReason.AGENT, actor=bartek, days=3)

        chat = website(support, "Piotr Wiśniewski", "piotr.wisniewski@example.com")
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
        talk(
            chat,
            anna,
            [
                ("client", "Aplikacja nie chce się zalogować po aktualizacji."),
                ("agent", "Proszę wylogować się na wszystkich urządzeniach i spróbować ponownie."),
            ],
        )
        self.close_in_the_past(chat, reason=Chat.CloseReason.INACTIVITY, actor=None, days=2)

        chat = website(sales, "Jan Kowalski", "jan.kowalski@example.com")
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
        talk(
            chat,
            anna,
            [
                ("client", "Poproszę ofertę na 20 licencji."),
                ("agent", "Oczywiście, przygotuję ją jeszcze dziś i wyślę e-mailem."),
            ],
        )
        self.close_in_the_past(chat, reason=Chat.CloseReason.CLIENT, actor=None, days=1)

        # Assigned chats: anna holds three (the maximum), bartek one. The agent spoke last in each.
        for name, email, queue_id, agent, lines in [
            (
                "Tomasz Mazur",
                "tomasz.mazur@example.com",
                sales,
                anna,
                [("client", "Czy macie rabaty dla firm?"), ("agent", "Tak, od 10 stanowisk. Ile osób u Państwa?")],
            ),
            (
                "Ola",
                "",
                support,
                anna,
                [("client", "Nie dostałam faktury."), ("agent", "Sprawdzam, proszę o numer zamówienia.")],
            ),
            (
                "Katarzyna Wójcik",
                "katarzyna.wojcik@example.com",
                support,
                anna,
                [("client", "Jak zmienić adres dostawy?"), ("agent", "Zmienię go za Panią, jaki jest nowy adres?")],
            ),
            (
                "Maria Nowak",
                "maria.nowak@example.com",
                sales,
                bartek,
                [("client", "Chcę dokupić drugą licencję."), ("agent", "Świetnie, przygotowuję zamówienie.")],
            ),
        ]:
            chat = website(queue_id, name, email)
            chat_assign(chat_id=chat.pk, agent_id=agent.pk)
            talk(chat, agent, lines)
            if name == "Maria Nowak":
                # A verified link: bartek confirmed who he talks to, so his card shows her details and history.
                # The other typed e-mails stay claims (the card says "unverified").
                chat_customer_confirm(chat_id=chat.pk, actor=bartek)

        # An internal chat between colleagues (takes no slot).
        chat = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=anna.pk, peer_id=bartek.pk)
        message_post(chat_id=chat.pk, sender="agent", author_id=anna.pk, body="Bartek, przejmiesz klienta VIP?")
        message_post(chat_id=chat.pk, sender="agent", author_id=bartek.pk, body="Jasne, jak tylko skończę rozmowę.")

        # Waiting chats. Support: celina is on a break, ewa logged out, anna full, so they wait;
        # the VIP's owner is anna (full) too.
        chat = website(support, "Jan Kowalski", "jan.kowalski@example.com")
        message_post(chat_id=chat.pk, sender="client", body="Pilne: nie działa eksport raportów.")
        chat = chat_start(
            channel=Chat.Channel.MESSENGER,
            queue_id=support,
            visitor_name="Zofia",
            visitor_messenger_id=f"{DEMO_KEY}psid-2002",
            visitor_key=f"{DEMO_KEY}{next(n)}",
        )
        message_post(chat_id=chat.pk, sender="client", body="Hej, do której jesteście dziś dostępni?")
        # Sales: a chat from last night, waiting longer than the card's 24 hours: automatic assignment
        # stops and the inbox shows the "Assign" button.
        chat = website(sales, "Gość", "")
        message_post(chat_id=chat.pk, sender="client", body="Dobry wieczór, czy mogę zamówić na jutro?")
        self.shift(chat, timedelta(hours=30))
        chats_stop_auto_assign()

    @staticmethod
    def shift(chat: Chat, delta: timedelta) -> None:
        """Move a chat's whole history back in time by ``delta``."""
        times = [
            "created_at",
            "queued_at",
            "assigned_at",
            "page_closed_at",
            "last_heartbeat_at",
            "last_client_message_at",
            "last_message_at",
            "awaiting_reply_since",
            "agent_replied_at",
            "agent_read_at",
            "welcome_sent_at",
            "closed_at",
        ]
        Chat.objects.filter(pk=chat.pk).update(**{name: F(name) - delta for name in times})
        Message.objects.filter(chat_id=chat.pk).update(created_at=F("created_at") - delta)
        ChatEvent.objects.filter(chat_id=chat.pk).update(created_at=F("created_at") - delta)

    def close_in_the_past(self, chat: Chat, *, reason: str, actor, days: int) -> None:
        chat_close(chat_id=chat.pk, reason=reason, actor=actor)
        self.shift(chat, timedelta(days=days))

    # --- output ---------------------------------------------------------------------------------------------------

    @staticmethod
    def summary() -> str:
        counts = {status: Chat.objects.filter(status=status).count() for status in Chat.Status.values}
        agents = ", ".join(username for username, _first, _last in AGENTS)
        return "\n".join(
            [
                f"Chats: {counts['waiting']} waiting, {counts['assigned']} assigned, {counts['closed']} closed; "
                f"{Customer.objects.count()} customers, {Queue.objects.count()} queues.",
                "Logins:",
                f"  administrator  {ADMIN[0]} / {ADMIN[1]}   (/admin/)",
                f"  agents         {agents} / {AGENT_PASSWORD}",
            ]
        )

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

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from agents.models import User
from agents.services import presence_get
from chat.management.demo import DEMO_KEY, SALES, SUPPORT, demo_activity
from chat.models import Chat, Queue
from chat.services.queues import queue_create, queue_member_set
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
                demo_activity(users=users, queues=queues)
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

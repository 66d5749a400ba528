"""The demo's activity, written once by ``manage.py seed_demo`` (chat/management/commands/seed_demo.py): presence
changes and waiting, assigned and closed chats with their messages, all through the services."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import DateTimeField, F

from agents.models import PauseType, User
from agents.services import presence_login, presence_pause, presence_set_phone_call
from chat.models import Chat, ChatEvent, Disposition, Message, Queue
from chat.services.chats import chat_assign, chat_close, chat_customer_confirm, chat_start
from chat.services.messages import message_post
from chat.services.ratings import chat_rate
from chat.services.rules import chats_stop_auto_assign

# Queue names, and the prefix of the demo chats' visitor keys (how a second run knows they exist).
SALES, SUPPORT = "Sprzedaż", "Wsparcie"
DEMO_KEY = "demo-"
# The demo's dispositions (what a closed conversation was about), in the admin's order.
DISPOSITIONS = ("Status zamówienia", "Pytanie o ofertę", "Reklamacja", "Inne")


def demo_activity(*, users: dict[str, User], queues: dict[str, Queue]) -> None:
    """Presence changes and chats (once): the story the inbox and the admin show."""
    anna, bartek, celina, dawid = (users[name] for name in ("anna", "bartek", "celina", "dawid"))
    # Presence: anna and bartek available, celina on a break, dawid on a phone call, ewa logged out.
    for agent in (anna, bartek, celina, dawid):
        presence_login(agent_id=agent.pk)
    presence_pause(agent_id=celina.pk, pause_type_id=PauseType.objects.get(code="break").pk, reason="demo")
    presence_set_phone_call(agent_id=dawid.pk, on_call=True)
    for order, name in enumerate(DISPOSITIONS, start=1):
        Disposition.objects.get_or_create(name=name, defaults={"order": order})

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
                author_id=agent.pk if sender in (Message.Sender.AGENT, Message.Sender.NOTE) else None,
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
    close_in_the_past(chat, reason=Chat.CloseReason.AGENT, actor=bartek, days=3,
                      rating=(5, "Szybka i konkretna odpowiedź, dziękuję!"))

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
    close_in_the_past(chat, reason=Chat.CloseReason.INACTIVITY, actor=None, days=2)

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
    close_in_the_past(chat, reason=Chat.CloseReason.CLIENT, actor=None, days=1, rating=(4, ""))

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
            [("client", "Nie dostałam faktury."), ("note", "Faktura czeka na korektę NIP w księgowości."),
             ("agent", "Sprawdzam, proszę o numer zamówienia.")],
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
    shift(chat, timedelta(hours=30))
    chats_stop_auto_assign()


def shift(chat: Chat, delta: timedelta) -> None:
    """Move a chat's whole history back in time by ``delta``."""
    # Every moment of the chat (a field added later moves too: the figures' first_assigned_at, first_response_at …).
    times = [f.name for f in Chat._meta.concrete_fields if isinstance(f, DateTimeField)]
    Chat.objects.filter(pk=chat.pk).update(**{name: F(name) - delta for name in times})
    Message.objects.filter(chat_id=chat.pk).update(created_at=F("created_at") - delta)
    ChatEvent.objects.filter(chat_id=chat.pk).update(created_at=F("created_at") - delta)


def close_in_the_past(chat: Chat, *, reason: str, actor, days: int, rating: tuple[int, str] | None = None) -> None:
    disposition = Disposition.objects.filter(active=True).order_by("order", "name").first()
    chat_close(chat_id=chat.pk, reason=reason, actor=actor,
               disposition_id=disposition.pk if disposition and reason == Chat.CloseReason.AGENT else None)
    if rating is not None:  # the visitor rated it in the widget (issue 17)
        chat_rate(chat_id=chat.pk, score=rating[0], comment=rating[1], via="widget")
    shift(chat, timedelta(days=days))

"""Read-only queries of the agent inbox.

What a user may see is the one rule of ``chat.selectors.chats_visible_to``,
shared with the REST API (everything else answers 404).
The waiting list follows the configured chat order (the routing package's
``ORDER BY``), so the agent sees the chats in the order dispatch serves them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import Avg, Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.http import Http404

from agents.models import ACTIVE_AGENT, PauseType, Presence, User
from chat.models import Attachment, Chat, ChatEvent, ChatSettings, Message, OfflineEmail, Queue
from chat.routing.chat_order import chat_order_by as routing_order
from chat.selectors import chats_assignable_by, chats_visible_to, customers_visible_to, queue_ids_of

WAITING_LIST_LIMIT = 200


def _my_queue_ids(user) -> QuerySet:
    return queue_ids_of(user=user)


def inbox_visible_chats(*, user) -> QuerySet[Chat]:
    return chats_visible_to(user=user)


def inbox_chat_get(*, user, chat_id: int) -> Chat:
    chat = (
        inbox_visible_chats(user=user)
        .select_related("queue", "customer", "customer__owner", "agent", "initiator")
        .filter(pk=chat_id)
        .first()
    )
    if chat is None:
        raise Http404("No such chat.")
    return chat


def inbox_card_customer(*, user, chat: Chat):
    """The customer the chat's card may edit: the chat's, verified-linked, and one the user may see
    (``customers_visible_to``, the API's rule); 404 otherwise."""
    if chat.channel == Chat.Channel.INTERNAL or not chat.customer_id or not chat.customer_verified:
        raise Http404("No customer to edit.")
    customer = customers_visible_to(user=user).filter(pk=chat.customer_id).first()
    if customer is None:
        raise Http404("No customer to edit.")
    return customer


def inbox_chat_check(*, user, chat_id: int) -> None:
    """404 unless the user may see the chat: ``inbox_chat_get``'s rule, without loading the chat and its relations
    (an agent's reply needs only the answer; docs/performance.md)."""
    if not inbox_visible_chats(user=user).filter(pk=chat_id).exists():
        raise Http404("No such chat.")


def inbox_assignable_chat_get(*, user, chat_id: int) -> Chat:
    chat = chats_assignable_by(user=user).filter(pk=chat_id).first()
    if chat is None:
        raise Http404("No such chat.")
    return chat


def chat_order_by() -> list:
    """The configured chat order as ORDER BY expressions (routing package), FIFO as the fallback."""
    return list(routing_order(ChatSettings.load().chat_strategy_order))


def _unread_client_messages() -> Count:
    # Messages from the other side that arrived after the agent last read the chat, and the private notes others
    # wrote to him (a supervisor's whisper, issue 15): his lists ring for both (static/inbox/notify.js).
    note_to_him = Q(messages__sender=Message.Sender.NOTE) & ~Q(messages__author_id=F("agent_id"))
    return Count(
        "messages",
        filter=(Q(messages__sender=Message.Sender.CLIENT) | note_to_him)
        & (Q(agent_read_at__isnull=True) | Q(messages__created_at__gt=F("agent_read_at"))),
    )


def inbox_my_chats(*, user) -> QuerySet[Chat]:
    """Customer chats assigned to the agent now, oldest assignment first, with unread counts."""
    return (
        Chat.objects.assigned()
        .filter(agent=user)
        .exclude(channel=Chat.Channel.INTERNAL)
        .select_related("queue", "customer")
        .annotate(unread=_unread_client_messages())
        .order_by("assigned_at", "id")
    )


def inbox_internal_chats(*, user) -> QuerySet[Chat]:
    """Open internal chats with colleagues; unread = colleague's messages after the agent's last read."""
    last_mine = (
        Message.objects.filter(chat=OuterRef("pk"), author=user).order_by("-created_at", "-id").values("created_at")[:1]
    )
    return (
        Chat.objects.open()
        .filter(Q(agent=user) | Q(initiator=user), channel=Chat.Channel.INTERNAL)
        .select_related("agent", "initiator")
        .annotate(my_last=Subquery(last_mine))
        .annotate(
            unread=Count(
                "messages",
                filter=Q(messages__sender=Message.Sender.AGENT)
                & ~Q(messages__author=user)
                & (
                    (Q(agent=user) & (Q(agent_read_at__isnull=True) | Q(messages__created_at__gt=F("agent_read_at"))))
                    | (
                        Q(initiator=user)
                        & (Q(my_last__isnull=True) | Q(messages__created_at__gt=F("my_last")))
                    )
                ),
            )
        )
        .order_by("-last_message_at", "-id")
    )


def inbox_waiting_chats(*, user, limit: int = WAITING_LIST_LIMIT) -> tuple[list[Chat], int]:
    """Waiting chats of the agent's queues in chat order (up to ``limit``) and how many there are."""
    qs = Chat.objects.waiting().filter(queue_id__in=_my_queue_ids(user))
    total = qs.count()
    rows = list(qs.select_related("queue", "customer").order_by(*chat_order_by())[:limit])
    return rows, total


def inbox_messages(*, chat: Chat, after_id: int = 0) -> list[Message]:
    qs = chat.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id")
    if chat.offline:  # each agent reply shows whether its e-mail went (templates/inbox/_message.html)
        qs = qs.prefetch_related("offline_emails")
    if after_id:
        qs = qs.filter(id__gt=after_id)
    return list(qs)


# A Messenger reply in one of these states may still change: the open chat redraws it when it does.
OUTBOX_OPEN_STATES = (
    Message.Delivery.PENDING, Message.Delivery.SENDING, Message.Delivery.UNKNOWN, Message.Delivery.FAILED,
)


# An offline chat's reply whose e-mail is in one of these states may still change (or failed: counted as not
# delivered in the header).
EMAIL_OPEN_STATES = (OfflineEmail.Status.PENDING, OfflineEmail.Status.SENDING, OfflineEmail.Status.FAILED)


def inbox_delivery_states(*, chat: Chat) -> list[tuple[int, str]]:
    """``(id, delivery status)`` of the chat's Messenger replies not (yet, or surely) delivered, by id; in an
    offline chat (issue 17), of the agents' replies whose e-mail is not (yet) sent."""
    if chat.offline:
        return list(
            OfflineEmail.objects.filter(chat_id=chat.pk, kind=OfflineEmail.Kind.REPLY, status__in=EMAIL_OPEN_STATES)
            .order_by("message_id").values_list("message_id", "status")
        )
    if chat.channel != Chat.Channel.MESSENGER:
        return []
    return list(
        chat.messages.filter(delivery_status__in=OUTBOX_OPEN_STATES).order_by("id").values_list("id", "delivery_status")
    )


def inbox_outgoing_messages(*, chat: Chat, from_id: int, to_id: int) -> list[Message]:
    """The chat's Messenger replies with ids ``from_id`` … ``to_id``, to redraw their delivery state (an offline
    chat's: the agents' replies, with their e-mails)."""
    if chat.offline:
        return list(
            chat.messages.filter(sender=Message.Sender.AGENT, id__gte=from_id, id__lte=to_id)
            .select_related("author").prefetch_related("attachments", "offline_emails").order_by("created_at", "id")
        )
    return list(
        chat.messages.exclude(delivery_status=Message.Delivery.NOT_APPLICABLE)
        .filter(id__gte=from_id, id__lte=to_id)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def inbox_message_get(*, chat: Chat, message_id: int) -> Message:
    """A message of a chat the agent may see (404 otherwise)."""
    message = (
        chat.messages.select_related("author").prefetch_related("attachments").filter(pk=message_id).first()
    )
    if message is None:
        raise Http404("No such message.")
    return message


def _customer_history(chat: Chat) -> QuerySet[Chat]:
    """Earlier chats with the same customer (or, without one, the same visitor e-mail), only when the chat's
    identity is verified: a typed e-mail is a claim and opens nobody's history."""
    if not chat.customer_verified:
        return Chat.objects.none()
    if chat.customer_id:
        qs = Chat.objects.filter(customer_id=chat.customer_id)
    elif chat.visitor_email:
        qs = Chat.objects.filter(visitor_email__iexact=chat.visitor_email)
    else:
        return Chat.objects.none()
    return qs.exclude(pk=chat.pk).select_related("agent")


def inbox_customer_history(*, chat: Chat, limit: int = 10) -> list[Chat]:
    """The customer card's "Earlier chats", newest first (``_customer_history``)."""
    return list(_customer_history(chat).order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class CustomerRatings:
    """The customer's ratings on his card: how many of his chats he rated, and their average (1-5)."""

    count: int
    average: float | None


def inbox_customer_ratings(*, chat: Chat) -> CustomerRatings | None:
    """The ratings of every chat of the customer the card shows: this chat and its earlier chats
    (``_customer_history``: a verified identity only, like the history); None when none of them was rated."""
    if chat.channel == Chat.Channel.INTERNAL:
        return None
    found = (
        Chat.objects.filter(Q(pk=chat.pk) | Q(pk__in=_customer_history(chat).values("pk")))
        .filter(rating__isnull=False)
        .aggregate(count=Count("id"), average=Avg("rating"))
    )
    if not found["count"]:
        return None
    return CustomerRatings(count=found["count"], average=round(float(found["average"]), 1))


def inbox_history_chat_get(*, chat: Chat, earlier_id: int) -> Chat:
    """An earlier chat of ``chat``'s customer, for reading: one of those its card may list; 404 otherwise."""
    earlier = _customer_history(chat).select_related("queue").filter(pk=earlier_id).first()
    if earlier is None:
        raise Http404("No such earlier chat.")
    return earlier


def inbox_history_messages(*, chat: Chat) -> list[Message]:
    """An earlier chat's messages for reading (no files to download: they belong to that chat's own page)."""
    return list(chat.messages.select_related("author").prefetch_related("attachments").order_by("created_at", "id"))


SEARCH_LIMIT = 50
SEARCH_MIN_LENGTH = 2
# The words of a search: letters and digits of any script ("zamówienie", "FV/2026/12" gives FV, 2026, 12).
SEARCH_WORD = re.compile(r"[^\W_]+")
# Message bodies matching every word (a prefix of a word of the body, accents ignored): chat/migrations/0012's
# configuration and GIN index on PostgreSQL.
MESSAGE_SEARCH_SQL = (
    "SELECT chat_id FROM chat_message "
    "WHERE to_tsvector('parley_search'::regconfig, body) @@ to_tsquery('parley_search'::regconfig, %s)"
)


def inbox_search(*, user, query: str, limit: int = SEARCH_LIMIT) -> list[Chat]:
    """The chats the user may see (``chats_visible_to``: his own, earlier ones included, and what he may take)
    whose visitor name or e-mail contains the query, or one of whose messages contains every word of it (as the
    start of a word, accents ignored: PostgreSQL full-text search; a plain substring match on SQLite). Newest
    activity first."""
    query = " ".join(query.split())
    words = SEARCH_WORD.findall(query)
    if len(query) < SEARCH_MIN_LENGTH or not words:
        return []
    if connection.vendor == "postgresql":
        in_messages = Q(pk__in=RawSQL(MESSAGE_SEARCH_SQL, [" & ".join(f"{word}:*" for word in words)]))
    else:
        in_messages = Q(pk__in=Message.objects.filter(body__icontains=query).values("chat_id"))
    matches = Q(visitor_name__icontains=query) | Q(visitor_email__icontains=query) | in_messages
    return list(
        chats_visible_to(user=user)
        .filter(matches)
        .select_related("queue", "agent", "customer")
        .order_by(F("last_message_at").desc(nulls_last=True), "-created_at", "-id")[:limit]
    )


def inbox_presence(*, user) -> Presence | None:
    return Presence.objects.select_related("pause_type").filter(agent=user).first()


def inbox_pause_types() -> list[PauseType]:
    return list(PauseType.objects.all())


def inbox_transfer_targets(*, user) -> tuple[list[User], list[Queue]]:
    agents = list(
        User.objects.filter(ACTIVE_AGENT.q(), presence__isnull=False)
        .exclude(pk=user.pk)
        .select_related("presence", "presence__pause_type")
        .order_by("first_name", "last_name", "username")
    )
    queues = list(Queue.objects.filter(active=True).order_by("name"))
    return agents, queues


def inbox_chat_watchers(*, chat: Chat) -> list[User]:
    """The supervisors who joined the chat silently (``supervisor_join``: SUPERVISOR_JOINED), first joined first:
    shown to staff only, in the chat page's "Supervisor" panel."""
    joined = ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.SUPERVISOR_JOINED, actor__isnull=False)
    return list(User.objects.filter(pk__in=joined.values("actor_id")).order_by("first_name", "last_name", "username"))


def inbox_colleagues(*, user) -> list[User]:
    return list(
        User.objects.filter(ACTIVE_AGENT.q(), presence__isnull=False)
        .exclude(pk=user.pk)
        .select_related("presence")
        .order_by("first_name", "last_name", "username")
    )


def inbox_attachment_get(*, user, token: str) -> Attachment:
    """The attachment behind an inbox download link, only in a chat the agent may see (404 otherwise)."""
    attachment = (
        Attachment.objects.select_related("message")
        .filter(token=token, message__chat__in=inbox_visible_chats(user=user))
        .first()
    )
    if attachment is None:
        raise Http404("No such file.")
    return attachment

"""Who may see what: the one visibility rule of every way in (pages, API, live sockets), the canned responses
that apply, the queues of a user."""

from __future__ import annotations

from django.db.models import Case, Q, QuerySet, Value, When

from agents.models import User
from chat.models import (
    CannedResponse,
    Chat,
    QueueMembership,
)
from crm.models import Customer

CUSTOMER_CHANNELS = [Chat.Channel.WEBSITE, Chat.Channel.MESSENGER]


def queue_ids_of(*, user) -> QuerySet:
    """The ids of the queues the user is a member of (a subquery)."""
    return QueueMembership.objects.filter(agent_id=user.pk).values("queue_id")


def chats_visible_to(*, user) -> QuerySet[Chat]:
    """The one rule of who may see which chat, for the API and the inbox alike (anything else is a 404).

    Staff: every chat. An agent: customer chats assigned to him (and his earlier ones), waiting chats of
    his queues and of customers he owns (the owner is eligible without membership), his internal chats.
    """
    chats = Chat.objects.all()
    if user.is_staff:
        return chats
    my_queues = queue_ids_of(user=user)
    # The owned customers as a subquery, not a join: with a LEFT JOIN inside the OR, PostgreSQL spent about
    # 1.3 ms planning the rule for 0.03 ms of running it (0.15 ms this way; docs/performance.md).
    my_customers = Customer.objects.filter(owner_id=user.pk).values("pk")
    return chats.filter(
        Q(channel__in=CUSTOMER_CHANNELS, agent_id=user.pk)
        | Q(status=Chat.Status.WAITING, queue_id__in=my_queues)
        | Q(status=Chat.Status.WAITING, customer_id__in=my_customers)
        | Q(channel=Chat.Channel.INTERNAL, initiator_id=user.pk)
        | Q(channel=Chat.Channel.INTERNAL, agent_id=user.pk)
    )


def chats_assignable_by(*, user) -> QuerySet[Chat]:
    """Chats the user may press "Assign" on: the visible ones plus customer chats of his queues whatever
    their status, so that a chat a colleague has just taken gets the service's clear refusal ("already
    taken") instead of a 404."""
    if user.is_staff:
        return Chat.objects.all()
    return Chat.objects.filter(
        Q(pk__in=chats_visible_to(user=user).values("pk"))
        | Q(queue_id__in=queue_ids_of(user=user), channel__in=CUSTOMER_CHANNELS)
    )


def customers_visible_to(*, user) -> QuerySet[Customer]:
    """The one rule of which CRM customers a user may read (API; the inbox card follows the same idea).

    Staff: every customer. An agent: the customers he owns, and those linked by a *verified* link to a
    chat he may see. A visitor typing a customer's e-mail into the widget gives the agent nothing more:
    the link stays a claim until it is verified (docs/decisions.md, "Identity: a typed e-mail is a claim").
    """
    if user.is_staff:
        return Customer.objects.all()
    verified = chats_visible_to(user=user).filter(customer_verified=True, customer__isnull=False)
    return Customer.objects.filter(Q(owner_id=user.pk) | Q(pk__in=verified.values("customer_id")))


def canned_visible_to(*, user) -> QuerySet[CannedResponse]:
    """The canned responses a user may read (API): staff every one; an agent the global ones, those of his
    queues and his own personal ones (another agent's personal responses are his alone)."""
    canned = CannedResponse.objects.select_related("queue", "owner")
    if user.is_staff:
        return canned
    return canned.filter(_canned_applying(user=user, queue_ids=queue_ids_of(user=user)))


def _canned_applying(*, user, queue_ids) -> Q:
    """The canned responses that apply to ``user`` in the queues ``queue_ids``: the global ones, those of those
    queues, his own personal ones (the API asks with all his queues, the reply box with its chat's)."""
    return (
        Q(scope=CannedResponse.Scope.GLOBAL)
        | Q(scope=CannedResponse.Scope.QUEUE, queue_id__in=queue_ids)
        | Q(scope=CannedResponse.Scope.PERSONAL, owner_id=user.pk)
    )


def canned_for_chat(*, user, chat: Chat, query: str = "") -> QuerySet[CannedResponse]:
    """The canned responses the reply box offers ``user`` in ``chat``: global, the chat's queue's, his own
    (not those of his other queues: they are meant for their queue's chats). The agent's own come first, then
    the queue's, then the global ones, each by shortcut; ``query`` keeps those whose shortcut or title
    contains it."""
    canned = CannedResponse.objects.filter(_canned_applying(user=user, queue_ids=[chat.queue_id]))
    query = query.strip().lstrip("/")
    if query:
        canned = canned.filter(Q(shortcut__icontains=query) | Q(title__icontains=query))
    rank = Case(
        When(scope=CannedResponse.Scope.PERSONAL, then=Value(0)),
        When(scope=CannedResponse.Scope.QUEUE, then=Value(1)),
        default=Value(2),
    )
    return canned.annotate(scope_rank=rank).order_by("scope_rank", "shortcut", "id")


def live_listener_get(*, user_id: int):
    """The user behind an inbox socket, loaded again for each event: a deactivated user hears nothing more."""
    return User.objects.filter(pk=user_id, is_active=True).only("is_active", "is_staff").order_by().first()


def live_chat_visible(*, user, chat_id: int) -> bool:
    """May ``user`` hear of chat ``chat_id``? The same rule as every page and the API (chats_visible_to)."""
    return chats_visible_to(user=user).filter(pk=chat_id).exists()


def live_queue_ids(*, user) -> list[int]:
    return list(queue_ids_of(user=user).values_list("queue_id", flat=True))

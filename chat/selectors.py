"""Read-only queries used by views, the API and the inbox (no side effects)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from agents.models import Presence
from chat.models import Chat, ChatEvent, ChatSettings, QueueMembership
from chat.routing.agent_chain import RoutingContext, choose_agent, eligible_agents, rank
from chat.routing.chat_order import order_chats
from chat.services.dispatch import dispatchable_chats, last_agent_id
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
    return chats.filter(
        Q(channel__in=CUSTOMER_CHANNELS, agent_id=user.pk)
        | Q(status=Chat.Status.WAITING, queue_id__in=my_queues)
        | Q(status=Chat.Status.WAITING, customer__owner_id=user.pk)
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


def chats_waiting(*, queue_ids: Iterable[int] | None = None, card: ChatSettings | None = None) -> QuerySet:
    """Waiting customer chats in the configured chat order (halted ones included: they show "Assign")."""
    card = card or ChatSettings.load()
    qs = Chat.objects.waiting().exclude(channel=Chat.Channel.INTERNAL).select_related("queue", "customer")
    if queue_ids is not None:
        qs = qs.filter(queue_id__in=list(queue_ids))
    return order_chats(qs, card.chat_strategy_order)


def chats_dispatch_order(*, card: ChatSettings | None = None) -> QuerySet:
    """The chats dispatch would serve, in the order it would serve them."""
    card = card or ChatSettings.load()
    return order_chats(dispatchable_chats(), card.chat_strategy_order)


def agent_open_chats(*, agent_id: int) -> QuerySet:
    """The agent's open chats: his assigned customer chats and his internal chats (either side)."""
    return (
        Chat.objects.open()
        .filter(Q(agent_id=agent_id) | Q(initiator_id=agent_id, channel=Chat.Channel.INTERNAL))
        .select_related("queue", "customer")
        .order_by("-last_message_at", "-id")
    )


def routing_context(*, chat: Chat, card: ChatSettings | None = None) -> RoutingContext:
    card = card or ChatSettings.load()
    return RoutingContext(
        chat_id=chat.pk,
        queue_id=chat.queue_id,
        owner_id=chat.customer.owner_id if chat.customer_id else None,
        last_agent_id=last_agent_id(
            chat_id=chat.pk,
            customer_id=chat.customer_id,
            visitor_email=chat.visitor_email,
            visitor_messenger_id=chat.visitor_messenger_id,
            visitor_key=chat.visitor_key,
            created_at=chat.created_at,
        ),
        max_chats=card.max_concurrent_chats,
        allow_phone_call=card.assign_during_phone_call,
    )


def agents_eligible_for(*, chat: Chat, card: ChatSettings | None = None) -> QuerySet:
    """Presence rows of the agents eligible for the chat right now (unordered)."""
    return eligible_agents(routing_context(chat=chat, card=card))


def agents_ranked_for(*, chat: Chat, card: ChatSettings | None = None) -> list[int]:
    """Agent ids eligible for the chat, in the order the agent chain prefers them."""
    card = card or ChatSettings.load()
    return [row["agent_id"] for row in rank(routing_context(chat=chat, card=card), card.agent_strategy_order)]


def agent_for(*, chat: Chat, card: ChatSettings | None = None):
    """What dispatch would decide for this chat now: a Choice (agent id and deciding strategy) or None."""
    card = card or ChatSettings.load()
    return choose_agent(routing_context(chat=chat, card=card), card.agent_strategy_order)


def assignment_reason(*, chat_id: int) -> ChatEvent | None:
    """The latest assignment event of a chat ("why this agent": ``strategy``)."""
    events = ChatEvent.objects.filter(chat_id=chat_id, kind=ChatEvent.Kind.ASSIGNED)
    return events.order_by("-created_at", "-id").first()


def presence_of(*, agent_id: int) -> Presence | None:
    return Presence.objects.filter(agent_id=agent_id).select_related("pause_type").first()

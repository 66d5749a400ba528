"""Read-only queries used by views, the API and the inbox (no side effects)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from agents.models import Presence
from chat.models import Chat, ChatEvent, ChatSettings
from chat.routing.agent_chain import RoutingContext, choose_agent, eligible_agents, rank
from chat.routing.chat_order import order_chats
from chat.services.dispatch import dispatchable_chats, last_agent_id


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

"""Small builders for routing tests: rows only; behaviour goes through the services."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from agents.models import Presence
from chat.models import (
    DEFAULT_AGENT_STRATEGY_ORDER,
    DEFAULT_CHAT_STRATEGY_ORDER,
    AgentStrategyStep,
    Chat,
    ChatEvent,
    ChatSettings,
    ChatStrategyStep,
)
from chat.services.dispatch import dispatch
from tests import factories


def set_agent_order(*codes: str) -> None:
    """Put these agent strategies first, in this order; the others keep their default order after them."""
    full = list(codes) + [c for c in DEFAULT_AGENT_STRATEGY_ORDER if c not in codes]
    for position, code in enumerate(full):
        AgentStrategyStep.objects.filter(code=code).update(order=position)


def set_chat_order(*codes: str) -> None:
    full = list(codes) + [c for c in DEFAULT_CHAT_STRATEGY_ORDER if c not in codes]
    for position, code in enumerate(full):
        ChatStrategyStep.objects.filter(code=code).update(order=position)


def set_card(**fields) -> ChatSettings:
    card = ChatSettings.load()
    for name, value in fields.items():
        setattr(card, name, value)
    card.save()
    return card


def waiting_chat(queue, *, customer=None, minutes_ago: float = 0, **fields) -> Chat:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    return factories.ChatFactory(queue=queue, customer=customer, queued_at=at, created_at=at, **fields)


def served_order(queue) -> list[int]:
    """The ids of the chats waiting in ``queue``, in the order dispatch serves them: one more available agent,
    with a slot for each, lets a single dispatch run take them all (the candidates' chat order, then one
    assignment statement per chat); the order of the ASSIGNED events is the order they were served in."""
    waiting = Chat.objects.filter(queue=queue, status=Chat.Status.WAITING)
    set_card(max_concurrent_chats=max(waiting.count(), 1))
    agent = factories.UserFactory()
    factories.PresenceFactory(agent=agent, logged_in=True)
    factories.MembershipFactory(agent=agent, queue=queue)
    before = ChatEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    dispatch()
    events = ChatEvent.objects.filter(kind=ChatEvent.Kind.ASSIGNED, id__gt=before).order_by("id")
    return list(events.values_list("chat_id", flat=True))


def presence(agent, **fields) -> None:
    Presence.objects.filter(agent=agent).update(**fields)


def assignment(chat) -> ChatEvent | None:
    return ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.ASSIGNED).order_by("-id").first()


def agent_of(chat):
    return Chat.objects.get(pk=chat.pk).agent

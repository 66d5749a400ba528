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


def presence(agent, **fields) -> None:
    Presence.objects.filter(agent=agent).update(**fields)


def assignment(chat) -> ChatEvent | None:
    return ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.ASSIGNED).order_by("-id").first()


def agent_of(chat):
    return Chat.objects.get(pk=chat.pk).agent

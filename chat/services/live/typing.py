"""Typing indicators: never stored, at most one event per chat and side every LIVE_TYPING_EVERY_SECONDS."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache

from agents.models import User


def typing_may_signal(*, chat_id: int, side: str) -> bool:
    """True for the first keystroke of a chat's side in the interval, in whichever process it arrives
    (an atomic add in the shared cache); False for the rest, which are dropped."""
    return cache.add(f"live:typing:{chat_id}:{side}", 1, timeout=settings.LIVE_TYPING_EVERY_SECONDS)


def typing_name(*, agent_id: int) -> str:
    """The name the visitor sees ("Anna is typing…"): the agent's first name, else his user name."""
    row = User.objects.filter(pk=agent_id).values_list("first_name", "username").first()
    if row is None:
        return ""
    return row[0] or row[1]

"""What the chat-life tests share (test_chats.py, test_chats_handover.py; their ``queue`` fixture: conftest.py)."""

from __future__ import annotations

from django.utils import translation

from agents.models import Presence
from chat.models import ChatEvent


def open_chats(agent) -> int:
    return Presence.objects.get(agent=agent).open_chats


def english(error) -> str:
    with translation.override("en"):
        return str(error)


def kinds(chat) -> list[str]:
    return list(ChatEvent.objects.filter(chat=chat).order_by("id").values_list("kind", flat=True))

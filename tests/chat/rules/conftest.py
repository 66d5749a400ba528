"""Fixtures of the timed-rule tests: a controllable clock and chats built at exact moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from agents.models import Presence
from chat.models import Chat, ChatSettings
from tests import factories

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    """``clock(seconds=…, hours=…, days=…)`` moves the frozen clock to T0 + that and returns the time."""
    time_machine.move_to(T0, tick=False)

    def at(**delta) -> datetime:
        time_machine.move_to(T0 + timedelta(**delta), tick=False)
        return timezone.now()

    return at


@pytest.fixture
def card(db):
    """``card(field=value, …)`` saves parameters on the card and returns it."""

    def set_fields(**fields) -> ChatSettings:
        obj = ChatSettings.load()
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.save()
        return obj

    return set_fields


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def make_chat(db, queue):
    """A chat row as the services would leave it, at the frozen clock's time.

    ``status="assigned"`` with an ``agent`` also takes the agent's slot (Presence.open_chats),
    except for internal chats, which take none.
    """

    def make(*, channel=Chat.Channel.WEBSITE, status=Chat.Status.WAITING, agent=None, **fields) -> Chat:
        now = timezone.now()
        values = {
            "channel": channel,
            "status": status,
            "agent": agent,
            "created_at": now,
            "queued_at": now if channel != Chat.Channel.INTERNAL else None,
            "queue": queue if channel != Chat.Channel.INTERNAL else None,
            "last_heartbeat_at": now if channel == Chat.Channel.WEBSITE else None,
        }
        if status == Chat.Status.ASSIGNED:
            values["assigned_at"] = now
        if channel == Chat.Channel.INTERNAL:
            values["initiator"] = fields.pop("initiator", None) or factories.UserFactory()
        values.update(fields)
        chat = factories.ChatFactory(**values)
        if status == Chat.Status.ASSIGNED and agent is not None and channel != Chat.Channel.INTERNAL:
            presence, _ = Presence.objects.get_or_create(agent=agent)
            Presence.objects.filter(pk=presence.pk).update(open_chats=presence.open_chats + 1)
        return chat

    return make


def reload(obj):
    obj.refresh_from_db()
    return obj


def open_chats(agent) -> int:
    return Presence.objects.get(agent=agent).open_chats

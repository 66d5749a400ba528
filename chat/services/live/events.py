"""One event per state change, published after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction


@dataclass(frozen=True)
class LiveEvent:
    """What changed, in ids only: whoever listens renders what his page needs and checks who may see it.

    ``kind``: ``chat.message``, ``chat.queued``, ``chat.assigned``, ``chat.transferred``, ``chat.closed``,
    ``chat.changed`` (anything else about the chat: customer, delivery state, auto-assignment stopped),
    ``presence.changed``, ``typing``.
    ``chat_id``: the chat (None for presence). ``agent_ids``: the agents whose own lists change (the chat's agent
    before and after, the customer's owner of a waiting chat, the agent whose presence changed).
    ``queue_ids``: the queues whose waiting list changes. ``data``: small extras (a message id, a typing name).
    """

    kind: str
    chat_id: int | None = None
    agent_ids: tuple[int, ...] = ()
    queue_ids: tuple[int, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


def live_publish(event: LiveEvent) -> None:
    """Tell every process now (call it after the commit: :func:`live_publish_on_commit`)."""


def live_publish_on_commit(event: LiveEvent) -> None:
    """Publish ``event`` once the current transaction commits (at once outside one); never on a rollback.
    ``robust``: a failing publish (the channel layer down) is logged and loses only the push, never the change:
    the fallback polls and a reconnect's resync still show it."""
    transaction.on_commit(partial(live_publish, event), robust=True)

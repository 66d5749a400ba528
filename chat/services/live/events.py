"""One event per state change, published after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db import transaction

from core.hooks import Hook

from .versions import versions_bump

# Called with ``event`` once it was published (its versions bumped): tests listen here, and so may any part of
# chat that follows events in the same process.
live_published = Hook("chat.live_published")


@dataclass(frozen=True)
class LiveEvent:
    """What changed, in ids only: whoever listens renders what his page needs and checks who may see it.

    ``kind``: ``chat.message``, ``chat.queued``, ``chat.assigned``, ``chat.transferred``, ``chat.closed``,
    ``chat.changed`` (anything else about the chat: customer, delivery state, auto-assignment stopped),
    ``presence.changed``, ``queue.changed`` (an agent joined or left a queue), ``settings.changed`` (the card,
    pause types, a queue's name or state: every page may change), ``typing``.
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
    versions_bump(event)  # typing bumps nothing (versions.UNVERSIONED)
    # --- the lead adds here: broadcast_send(event) — the channel layer (chat/services/live/broadcast.py) ---
    live_published(event=event)


def live_publish_on_commit(event: LiveEvent) -> None:
    """Publish ``event`` once the current transaction commits (at once outside one); never on a rollback.
    ``robust``: a failing publish (the channel layer down) is logged and loses only the push, never the change:
    the fallback polls and a reconnect's resync still show it."""
    transaction.on_commit(partial(live_publish, event), robust=True)

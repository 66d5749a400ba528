"""The event: what changed, in ids only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class LiveEvent:
    """What changed, in ids only: whoever listens renders what his page needs and checks who may see it.

    ``kind``: ``chat.message``, ``chat.queued``, ``chat.assigned``, ``chat.transferred``, ``chat.closed``,
    ``chat.changed`` (anything else about the chat: customer, delivery state, auto-assignment stopped),
    ``chat.read`` (the agent read his chat: his unread counts change),
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

"""The inbox sockets' heartbeats, written together: one UPDATE per process every few seconds rather than one per
ping (docs/live.md, "Connections at scale"). A socket's open and close are still written at once (the consumer)."""

from __future__ import annotations

import asyncio
import logging

from agents.services import presence_live_seen_many
from core.live import db

logger = logging.getLogger(__name__)

# How long a ping may wait to be written. Far below the card's shortest no-inbox time (30 s), and the write is
# throttled to one per LIVE_SEEN_EVERY (10 s) per agent anyway.
FLUSH_SECONDS = 5.0


class HeartbeatBatch:
    """The agents whose inbox pinged in this process since the last write; one per event loop."""

    def __init__(self) -> None:
        self.pending: set[int] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task | None = None

    def add(self, agent_id: int) -> None:
        loop = asyncio.get_running_loop()
        if self.loop is not loop:  # a new event loop (tests): nothing of the old one carries over
            self.loop, self.task, self.pending = loop, None, set()
        self.pending.add(agent_id)
        if self.task is None or self.task.done():
            self.task = loop.create_task(self.flush_later())

    def discard(self, agent_id: int) -> None:
        """His socket closed: a ping of his still waiting must not be written after the close (it would tell the
        "presence follows the inbox" rule that a closed inbox was seen later than it was)."""
        self.pending.discard(agent_id)

    async def flush_later(self) -> None:
        await asyncio.sleep(FLUSH_SECONDS)
        agent_ids, self.pending = sorted(self.pending), set()
        try:
            await db(presence_live_seen_many)(agent_ids=agent_ids)
        except Exception:  # a heartbeat lost is caught up by the next one; the socket goes on
            logger.exception("inbox heartbeats of %d agents not written", len(agent_ids))


heartbeats = HeartbeatBatch()

"""What the push channel's consumers share (chat/live/consumers.py: the inbox; chat/widget/consumers.py: the
widget): the groups they join and leave, an event that arrives once however many groups carry it, the thread pool
for their checks, and the close codes after which a page does not reconnect. Knows no app (docs/live.md)."""

from __future__ import annotations

from collections import deque

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.metrics.instruments import LIVE_CONNECTIONS


def db(function):
    """Run a check in the thread pool, not in the one thread Django's sync views share under ASGI (Channels'
    default): an event's check must not queue behind a page render."""
    return database_sync_to_async(function, thread_sensitive=False)


# Close codes (4000-4999 are the application's): the page does not reconnect after these.
UNAUTHORISED = 4401
FORBIDDEN = 4403
AUTH_TIMEOUT_SECONDS = 10


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """What both doors share: groups joined here are left on disconnect; an event arrives once; an accepted socket
    counts in ``parley_live_connections{kind}`` until it disconnects."""

    # The kind of socket for the metrics (inbox, floor, widget).
    metric_kind = "other"
    _counted = False

    async def accept(self, subprotocol=None, headers=None) -> None:
        await super().accept(subprotocol, headers)
        if not self._counted:
            self._counted = True
            LIVE_CONNECTIONS.labels(kind=self.metric_kind).inc()

    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.seen: deque[str] = deque(maxlen=256)
        await self.open()

    async def open(self) -> None:
        raise NotImplementedError

    async def dispatch(self, message) -> None:
        """Channels' dispatch without its hop to the thread-sensitive thread before every message (to close that
        thread's old connections): these sockets do their database work through :func:`db`, which closes its own
        thread's connections, and at thousands of sockets the hop per frame and per event was a queue of its own
        (docs/live.md, "Connections at scale")."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, group: str) -> None:
        if group not in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.add(group)

    async def leave(self, group: str) -> None:
        if group in self.joined:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.joined.discard(group)

    async def disconnect(self, code) -> None:
        if self._counted:
            self._counted = False
            LIVE_CONNECTIONS.labels(kind=self.metric_kind).dec()
        for group in list(getattr(self, "joined", ())):
            await self.leave(group)

    def first_time(self, message: dict) -> bool:
        if message["id"] in self.seen:
            return False
        self.seen.append(message["id"])
        return True

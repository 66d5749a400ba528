"""The inbox's door of the push channel: an agent's page hears of the chats he may see (docs/live.md).

It carries small JSON nudges, never a chat's content: on ``{"kind": "chat.message", "chat": 12}`` the page fetches
what changed through the same views it polls when there is no socket, so one rule decides what it shows. Who may
listen is checked when the socket opens (the session, an active user, a page of Parley's own hosts) and again
for every event with the rule of every other way in (``chats_visible_to``): a chat he may no longer see is never
named to him. The widget's door is chat/widget/consumers.py; what both share is core/live.py.

Page messages: ``{"type": "watch", "chat": id}`` (the chat open on the page), ``{"type": "typing", "chat": id}``,
``{"type": "ping"}`` (the heartbeat: presence follows it).
"""

from __future__ import annotations

import asyncio
import time

from agents.services import presence_live_closed, presence_live_seen
from chat.selectors import live_chat_visible, live_listener_get, live_queue_ids
from chat.services.live import LiveEvent
from chat.services.live.broadcast import (
    EVERYONE_GROUP,
    EVERYONE_KINDS,
    STAFF_GROUP,
    abroadcast_send,
    agent_group,
    chat_group,
    queue_group,
)
from chat.services.live.typing import typing_may_signal, typing_name
from core.live import FORBIDDEN, UNAUTHORISED, LiveConsumer, db

from .heartbeats import heartbeats

# The live floor's nudges: at most one per this many seconds (a busy centre changes many times a second).
FLOOR_NUDGE_SECONDS = 1.0
FLOOR_RECHECK_SECONDS = 30.0


class InboxConsumer(LiveConsumer):
    """An agent's inbox page: his lists, the chat he has open, his colleagues' typing; his heartbeat."""

    metric_kind = "inbox"

    async def open(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHORISED)
            return
        self.user_id = user.pk
        self.is_staff = user.is_staff
        self.watching: int | None = None
        self.queue_ids: set[int] = set()
        # The groups first, then the accept: once the page sees the socket open, no event can pass it by (an event
        # published between an accept and a join reached nobody, and the page had no reason to poll for it).
        await self.join(EVERYONE_GROUP)
        await self.join(agent_group(self.user_id))
        await self.follow_queues(user)
        if self.is_staff:
            await self.join(STAFF_GROUP)
        await self.accept()
        # The page is open: presence follows it (docs/live.md, "Presence follows the inbox"); its pings are written
        # together with the other sockets' (chat/live/heartbeats.py).
        await db(presence_live_seen)(agent_id=self.user_id)

    async def follow_queues(self, user) -> None:
        """Join the waiting-list groups of the queues he is a member of now, and leave the others."""
        now = set(await db(live_queue_ids)(user=user))
        for queue_id in self.queue_ids - now:
            await self.leave(queue_group(queue_id))
        for queue_id in now - self.queue_ids:
            await self.join(queue_group(queue_id))
        self.queue_ids = now

    async def disconnect(self, code) -> None:
        await super().disconnect(code)
        if getattr(self, "user_id", None) is not None:
            # The no-inbox time counts from now (another tab still open keeps saying "seen").
            heartbeats.discard(self.user_id)
            await db(presence_live_closed)(agent_id=self.user_id)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "ping":
            heartbeats.add(self.user_id)
            await self.send_json({"kind": "pong"})
        elif kind == "watch":
            await self.watch(content.get("chat"))
        elif kind == "typing":
            await self.typing(content.get("chat"))

    async def watch(self, chat_id) -> None:
        if self.watching is not None:
            await self.leave(chat_group(self.watching))
            self.watching = None
        if not isinstance(chat_id, int) or isinstance(chat_id, bool):
            return
        if await self.may_see(chat_id):
            self.watching = chat_id
            await self.join(chat_group(chat_id))

    async def typing(self, chat_id) -> None:
        if chat_id is None or chat_id != self.watching or not await self.may_see(chat_id):
            return
        if await db(typing_may_signal)(chat_id=chat_id, side="agent"):
            name = await db(typing_name)(agent_id=self.user_id)
            await abroadcast_send(LiveEvent(kind="typing", chat_id=chat_id, data={"side": "agent", "name": name}))

    async def may_see(self, chat_id: int) -> bool:
        return await db(_may_see)(user_id=self.user_id, chat_id=chat_id)

    async def live_event(self, message: dict) -> None:
        if not self.first_time(message):
            return
        kind, chat_id = message["kind"], message["chat"]
        if kind == "typing":
            # Only the visitor's typing, only on the page that shows the chat.
            if chat_id == self.watching and message["data"].get("side") == "visitor" and await self.may_see(chat_id):
                await self.send_json({"kind": "typing", "chat": chat_id, "side": "visitor"})
            return
        mine = self.user_id in message["agents"] or bool(self.queue_ids.intersection(message["queues"]))
        if chat_id is None:  # presence and queue membership: the agent's own, or any for staff; settings: all
            if kind == "queue.changed" and self.user_id in message["agents"]:
                await self.follow_queues(self.scope["user"])  # he joined or left a queue: its waiting list too
            if mine or self.is_staff or kind in EVERYONE_KINDS:
                await self.send_json({"kind": kind})
            return
        visible = await db(_visibility)(user_id=self.user_id, chat_id=chat_id)
        if visible is None:  # deactivated since the socket opened: it hears nothing more
            await self.close(code=UNAUTHORISED)
        elif visible:
            await self.send_json({"kind": kind, "chat": chat_id})
        elif mine:
            # A chat that has just left his lists (transferred away, taken by a colleague): his lists change,
            # but the event does not name a chat he may no longer see.
            await self.send_json({"kind": "refresh"})


def _visibility(*, user_id: int, chat_id: int) -> bool | None:
    """May the socket's user see the chat now? None when the user is no longer an active user."""
    user = live_listener_get(user_id=user_id)
    return None if user is None else live_chat_visible(user=user, chat_id=chat_id)


def _may_see(*, user_id: int, chat_id: int) -> bool:
    return bool(_visibility(user_id=user_id, chat_id=chat_id))


class FloorConsumer(LiveConsumer):
    """The supervisor's live floor (staff only): every change of a chat or a presence is a reason to draw the
    floor again, so the page gets one ``{"kind": "floor"}`` nudge per burst of events (at most every
    ``FLOOR_NUDGE_SECONDS``), never the events themselves. Whether the user is still active staff is checked
    when the socket opens and again at most every ``FLOOR_RECHECK_SECONDS`` while events come."""

    metric_kind = "floor"

    async def open(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHORISED)
            return
        if not user.is_staff:
            await self.close(code=FORBIDDEN)
            return
        self.user_id = user.pk
        self.checked_at = time.monotonic()
        self.last_nudge = 0.0
        self.pending: asyncio.Task | None = None
        await self.join(STAFF_GROUP)  # the groups before the accept, as the inbox's
        await self.join(EVERYONE_GROUP)
        await self.accept()

    async def disconnect(self, code) -> None:
        pending = getattr(self, "pending", None)
        if pending is not None:
            pending.cancel()
        await super().disconnect(code)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"kind": "pong"})

    async def live_event(self, message: dict) -> None:
        if not self.first_time(message) or message["kind"] == "typing":
            return
        if time.monotonic() - self.checked_at > FLOOR_RECHECK_SECONDS:
            self.checked_at = time.monotonic()
            user = await db(live_listener_get)(user_id=self.user_id)
            if user is None or not user.is_staff:
                await self.close(code=UNAUTHORISED if user is None else FORBIDDEN)
                return
        if self.pending is not None:
            return  # a nudge is already on its way: it covers this event too
        wait = FLOOR_NUDGE_SECONDS - (time.monotonic() - self.last_nudge)
        if wait <= 0:
            await self.nudge()
        else:
            self.pending = asyncio.ensure_future(self.nudge_later(wait))

    async def nudge_later(self, wait: float) -> None:
        await asyncio.sleep(wait)
        self.pending = None
        await self.nudge()

    async def nudge(self) -> None:
        self.last_nudge = time.monotonic()
        await self.send_json({"kind": "floor"})

"""The push channel's two doors: the agent's inbox page and the visitor's widget (docs/live.md).

Both are WebSockets that carry small JSON nudges, never a chat's content: on ``{"kind": "chat.message",
"chat": 12}`` the page fetches what changed through the same views it polls when there is no socket, so one
rule decides what a page may show. Who may listen is checked when the socket opens and again for every event,
with the rule of every other way in (``chats_visible_to`` for agents, the visitor token for visitors): a chat a
listener may no longer see is never named to him.

Client messages: ``{"type": "watch", "chat": id}`` (inbox: the chat open on the page), ``{"type": "typing"}``
(``"chat"`` too on the inbox side), ``{"type": "ping"}`` (the inbox's heartbeat; presence follows it), and on
the widget ``{"type": "auth", "chat": id, "token": "…"}`` first: the token never travels in the URL.
"""

from __future__ import annotations

import asyncio
from collections import deque

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from agents.services import presence_live_closed, presence_live_seen
from chat.selectors import live_chat_visible, live_listener_get, live_queue_ids
from chat.services.live import LiveEvent
from chat.services.live.broadcast import (
    STAFF_GROUP,
    abroadcast_send,
    agent_group,
    chat_group,
    queue_group,
)
from chat.services.live.typing import typing_may_signal, typing_name
from chat.services.visitors import visitor_chat_authenticate, visitor_token_valid

from .db import in_pool
from .heartbeats import heartbeats

# Close codes (4000-4999 are the application's): the page does not reconnect after these.
UNAUTHORISED = 4401
FORBIDDEN = 4403
AUTH_TIMEOUT_SECONDS = 10

# What the visitor's widget hears of its chat: the conversation and its header, nothing of the agents' side.
VISITOR_KINDS = {"chat.message", "chat.assigned", "chat.transferred", "chat.queued", "chat.closed"}


class _LiveConsumer(AsyncJsonWebsocketConsumer):
    """What both doors share: groups joined here are left on disconnect; an event arrives once."""

    async def connect(self) -> None:
        self.joined: set[str] = set()
        self.seen: deque[str] = deque(maxlen=256)
        await self.open()

    async def open(self) -> None:
        raise NotImplementedError

    async def dispatch(self, message) -> None:
        """Channels' dispatch without its hop to the thread-sensitive thread before every message (to close that
        thread's old connections): these sockets do their database work through :func:`.db.in_pool`, which closes
        its own thread's connections, and at thousands of sockets the hop per frame and per event was a queue of
        its own."""
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
        for group in list(getattr(self, "joined", ())):
            await self.leave(group)

    def first_time(self, message: dict) -> bool:
        if message["id"] in self.seen:
            return False
        self.seen.append(message["id"])
        return True


class InboxConsumer(_LiveConsumer):
    """An agent's inbox page: his lists, the chat he has open, his colleagues' typing; his heartbeat."""

    async def open(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHORISED)
            return
        self.user_id = user.pk
        self.is_staff = user.is_staff
        self.watching: int | None = None
        self.queue_ids = set(await in_pool(live_queue_ids)(user=user))
        await self.accept()
        await self.join(agent_group(self.user_id))
        for queue_id in self.queue_ids:
            await self.join(queue_group(queue_id))
        if self.is_staff:
            await self.join(STAFF_GROUP)
        # The page is open: presence follows it (docs/live.md, "Presence follows the inbox"); its pings are
        # written together with the other sockets' (chat/live/heartbeats.py).
        await in_pool(presence_live_seen)(agent_id=self.user_id)

    async def disconnect(self, code) -> None:
        await super().disconnect(code)
        if getattr(self, "user_id", None) is not None:
            # The no-inbox time counts from now (another tab still open keeps saying "seen").
            await in_pool(presence_live_closed)(agent_id=self.user_id)

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
        if await in_pool(typing_may_signal)(chat_id=chat_id, side="agent"):
            name = await in_pool(typing_name)(agent_id=self.user_id)
            await abroadcast_send(LiveEvent(kind="typing", chat_id=chat_id, data={"side": "agent", "name": name}))

    async def may_see(self, chat_id: int) -> bool:
        return await in_pool(_may_see)(user_id=self.user_id, chat_id=chat_id)

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
        if chat_id is None:  # presence: the agent's own, or any for staff
            if mine or self.is_staff:
                await self.send_json({"kind": kind})
            return
        visible = await in_pool(_visibility)(user_id=self.user_id, chat_id=chat_id)
        if visible is None:  # deactivated since the socket opened: it hears nothing more
            await self.close(code=UNAUTHORISED)
        elif visible:
            await self.send_json({"kind": kind, "chat": chat_id})
        elif mine:
            # A chat that has just left his lists (transferred away, taken by a colleague): his lists change,
            # but the event does not name a chat he may no longer see.
            await self.send_json({"kind": "refresh"})


class WidgetConsumer(_LiveConsumer):
    """A visitor's widget: his own chat only, after his token (sent as the first message) opens it."""

    async def open(self) -> None:
        self.chat_id: int | None = None
        self.token = ""
        await self.accept()
        self.auth_timer = asyncio.get_running_loop().call_later(AUTH_TIMEOUT_SECONDS, self._auth_timeout)

    def _auth_timeout(self) -> None:
        if self.chat_id is None:
            asyncio.ensure_future(self.close(code=UNAUTHORISED))

    async def disconnect(self, code) -> None:
        timer = getattr(self, "auth_timer", None)
        if timer is not None:
            timer.cancel()
        await super().disconnect(code)

    async def receive_json(self, content, **kwargs) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if self.chat_id is None:
            if kind != "auth":
                await self.close(code=UNAUTHORISED)
                return
            await self.authenticate(content.get("chat"), content.get("token"))
        elif kind == "typing":
            await self.typing()

    async def typing(self) -> None:
        if not await self.token_opens_chat():
            return
        if await in_pool(typing_may_signal)(chat_id=self.chat_id, side="visitor"):
            await abroadcast_send(LiveEvent(kind="typing", chat_id=self.chat_id, data={"side": "visitor"}))

    async def authenticate(self, chat_id, token) -> None:
        if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not isinstance(token, str) or not token:
            await self.close(code=UNAUTHORISED)
            return
        chat = await in_pool(visitor_chat_authenticate)(chat_id=chat_id, token=token)
        if chat is None:
            await self.close(code=FORBIDDEN)
            return
        self.chat_id, self.token = chat.pk, token
        self.auth_timer.cancel()
        await self.join(chat_group(chat.pk))
        await self.send_json({"kind": "ready", "chat": chat.pk})

    async def token_opens_chat(self) -> bool:
        return await in_pool(visitor_token_valid)(chat_id=self.chat_id, token=self.token)

    async def live_event(self, message: dict) -> None:
        if not self.first_time(message) or message["chat"] != self.chat_id:
            return
        kind = message["kind"]
        if kind == "typing":
            if message["data"].get("side") != "agent":
                return
        elif kind not in VISITOR_KINDS:
            return
        if not await self.token_opens_chat():  # a newer token replaced this one: this page hears no more
            await self.close(code=FORBIDDEN)
            return
        out = {"kind": kind, "chat": self.chat_id}
        if kind == "typing":
            out["name"] = message["data"].get("name", "")
        await self.send_json(out)


def _visibility(*, user_id: int, chat_id: int) -> bool | None:
    """May the socket's user see the chat now? None when the user is no longer an active user."""
    user = live_listener_get(user_id=user_id)
    return None if user is None else live_chat_visible(user=user, chat_id=chat_id)


def _may_see(*, user_id: int, chat_id: int) -> bool:
    return bool(_visibility(user_id=user_id, chat_id=chat_id))

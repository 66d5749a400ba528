"""The widget's door of the push channel: a visitor's page hears of his own chat only, after his token, sent as the
socket's first message (never in the URL), opens it; the token is checked again for every event (docs/live.md).

A new message of the agent's side comes with its content, as the widget API's list gives it
(``WidgetMessageOutput``): the widget shows it without a request. So does the visitor's place in the queue: while
his chat waits, the socket is also in its queue's ``visitor.queue.<id>`` group; a change of that queue's waiting list
(a chat queued, assigned, transferred, closed, moved) makes the socket work out its own place again and send it,
in the widget's language (``lang`` of the auth message). Everything else is a nudge the widget answers with its
usual requests."""

from __future__ import annotations

import asyncio

from django.conf import settings
from django.utils import translation

from chat.models import Chat, Message
from chat.selectors import QueuePlace, queue_positions, queue_wait_estimate
from chat.services.live import LiveEvent
from chat.services.live.broadcast import QUEUE_MOVING_KINDS, abroadcast_send, chat_group, visitor_queue_group
from chat.services.live.typing import typing_may_signal
from chat.services.visitors import visitor_chat_authenticate, visitor_token_valid
from chat.widget.serializers import WidgetMessageOutput, place_output
from core.live import AUTH_TIMEOUT_SECONDS, FORBIDDEN, UNAUTHORISED, LiveConsumer, db

_UNSENT = object()

# What the visitor's widget hears of its chat: the conversation and its header, nothing of the agents' side.
VISITOR_KINDS = {"chat.message", "chat.assigned", "chat.transferred", "chat.queued", "chat.closed"}


class WidgetConsumer(LiveConsumer):
    """A visitor's widget: his own chat only, after his token (sent as the first message) opens it."""

    metric_kind = "widget"

    async def open(self) -> None:
        self.chat_id: int | None = None
        self.token = ""
        self.lang = settings.LANGUAGE_CODE
        self.queue_id: int | None = None  # the queue his chat waits in: its visitor.queue group is joined
        self.place_sent: object = _UNSENT  # the last place sent: the same place is not sent again
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
            self.lang = _language(content.get("lang"))
            await self.authenticate(content.get("chat"), content.get("token"))
        elif kind == "typing":
            await self.typing()

    async def typing(self) -> None:
        if not await self.token_opens_chat():
            return
        if await db(typing_may_signal)(chat_id=self.chat_id, side="visitor"):
            await abroadcast_send(LiveEvent(kind="typing", chat_id=self.chat_id, data={"side": "visitor"}))

    async def authenticate(self, chat_id, token) -> None:
        if not isinstance(chat_id, int) or isinstance(chat_id, bool) or not isinstance(token, str) or not token:
            await self.close(code=UNAUTHORISED)
            return
        chat = await db(visitor_chat_authenticate)(chat_id=chat_id, token=token)
        if chat is None:
            await self.close(code=FORBIDDEN)
            return
        self.chat_id, self.token = chat.pk, token
        self.auth_timer.cancel()
        await self.join(chat_group(chat.pk))
        if await self.follow_queue(tell=False):  # the widget asks for the chat (and its place) on "ready"
            await self.send_json({"kind": "ready", "chat": chat.pk})

    async def follow_queue(self, *, tell: bool) -> bool:
        """Be in the visitor.queue group of the queue the chat waits in (none once it is assigned or closed), and
        with ``tell`` send the chat's place (``None``: no place to show). False: the token no longer opens the
        chat, and the socket is closed."""
        opens, queue_id, place = await db(self._place)()
        if not opens:
            await self.close(code=FORBIDDEN)
            return False
        if queue_id != self.queue_id:
            if self.queue_id is not None:
                await self.leave(visitor_queue_group(self.queue_id))
            if queue_id is not None:
                await self.join(visitor_queue_group(queue_id))
            self.queue_id = queue_id
        if tell and place != self.place_sent:  # a chat queued behind him (FIFO) leaves his place as it was
            self.place_sent = place
            await self.send_json({"kind": "queue.place", "chat": self.chat_id, "place": place})
        return True

    def _place(self) -> tuple[bool, int | None, dict | None]:
        """Does the token still open the chat; the queue it waits in; its place as the widget API gives it."""
        if not visitor_token_valid(chat_id=self.chat_id, token=self.token):
            return False, None, None
        queue_id = Chat.objects.filter(pk=self.chat_id, status=Chat.Status.WAITING).values_list(
            "queue_id", flat=True
        ).first()
        if queue_id is None:
            return True, None, None
        position = queue_positions(chat_ids=[self.chat_id]).get(self.chat_id)
        if position is None:  # automatic assignment stopped: no place (it stays in the group: it may move again)
            return True, queue_id, None
        place = QueuePlace(position=position, estimate=queue_wait_estimate(queue_id=queue_id, position=position))
        with translation.override(self.lang):
            return True, queue_id, place_output(place)

    async def token_opens_chat(self) -> bool:
        return await db(visitor_token_valid)(chat_id=self.chat_id, token=self.token)

    async def live_event(self, message: dict) -> None:
        if not self.first_time(message):
            return
        kind = message["kind"]
        moves_queue = kind in QUEUE_MOVING_KINDS and self.queue_id is not None and self.queue_id in message["queues"]
        if message["chat"] != self.chat_id:
            if moves_queue:  # another chat of his queue: his place may have changed
                await self.follow_queue(tell=True)
            return
        if kind in QUEUE_MOVING_KINDS and kind not in VISITOR_KINDS:
            if message["queues"]:  # his own chat moved in its queue (automatic assignment stopped, a VIP verified)
                await self.follow_queue(tell=True)
            return
        if kind == "typing":
            if message["data"].get("side") != "agent":
                return
        elif kind not in VISITOR_KINDS:
            return
        elif kind == "chat.message" and message["data"].get("sender") == Message.Sender.CLIENT:
            return  # his own message: the widget shows it from its POST's answer
        elif kind == "chat.message" and message["data"].get("sender") == Message.Sender.NOTE:
            return  # an agents' private note: the visitor never hears of it
        message_id = message["data"].get("message_id") if kind == "chat.message" else None
        opens, shown = await db(self._check)(message_id=message_id)
        if not opens:  # a newer token replaced this one: this page hears no more
            await self.close(code=FORBIDDEN)
            return
        out = {"kind": kind, "chat": self.chat_id}
        if kind == "typing":
            out["name"] = message["data"].get("name", "")
        if shown is not None:
            out["message"] = shown
        await self.send_json(out)
        if kind in QUEUE_MOVING_KINDS:  # assigned, transferred, queued again, closed: the widget asks for the chat
            await self.follow_queue(tell=False)

    def _check(self, *, message_id: int | None) -> tuple[bool, dict | None]:
        """Does the token still open the chat, and the message as the widget's API shows it (one thread hop)."""
        if not visitor_token_valid(chat_id=self.chat_id, token=self.token):
            return False, None
        if message_id is None:
            return True, None
        found = (
            Message.objects.for_visitor()
            .filter(pk=message_id, chat_id=self.chat_id)
            .select_related("author")
            .prefetch_related("attachments")
            .first()
        )
        if found is None:  # gone, or not for the visitor: nothing to send
            return True, None
        return True, dict(WidgetMessageOutput(found).data)


def _language(value) -> str:
    """The widget's language from its auth message: one of ``LANGUAGES``, else the site's."""
    return value if isinstance(value, str) and value in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


"""The Messenger channel's services: an incoming event becomes a client message
in the sender's open chat (or a new one). An agent's reply goes out through the
outbox (chat/messenger/outbox.py).

Duplicates are decided by the database: one open chat per sender
(``chat_one_open_per_messenger_id``) and one message per Messenger ``mid``
(``Message.external_id`` is unique), so Meta's redeliveries, even concurrent
or out of order, store one message, and a burst opens one chat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from chat.models import Chat, Message, Queue
from chat.services.errors import ChatError
from chat.services.messages import MAX_BODY

logger = logging.getLogger(__name__)


@dataclass
class IncomingMessage:
    sender_id: str
    mid: str
    text: str


def messenger_default_queue_id() -> int | None:
    """``MESSENGER_DEFAULT_QUEUE`` (a queue name) when it names an active queue, else the first active queue."""
    queues = Queue.objects.filter(active=True)
    if settings.MESSENGER_DEFAULT_QUEUE:
        named = queues.filter(name=settings.MESSENGER_DEFAULT_QUEUE).values_list("pk", flat=True).first()
        if named:
            return named
    return queues.order_by("id").values_list("pk", flat=True).first()


def messenger_events_parse(payload) -> list[IncomingMessage]:
    """The text messages of a webhook payload (``object == "page"``); echoes,
    reads, deliveries and other events are ignored."""
    found: list[IncomingMessage] = []
    if not isinstance(payload, dict) or payload.get("object") != "page":
        return found
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for event in entry.get("messaging") or []:
            if not isinstance(event, dict):
                continue
            message = event.get("message")
            sender = (event.get("sender") or {}).get("id") if isinstance(event.get("sender"), dict) else None
            if not isinstance(message, dict) or not sender or message.get("is_echo"):
                continue
            mid = str(message.get("mid") or "")
            text = message.get("text")
            if not isinstance(text, str) or not text:
                urls = [
                    str((a.get("payload") or {}).get("url") or a.get("type") or "")
                    for a in message.get("attachments") or []
                    if isinstance(a, dict)
                ]
                text = "\n".join(u for u in urls if u)
            if not mid or not text:
                continue
            # Never refuse a client's words for their length: keep what fits in a message.
            found.append(IncomingMessage(sender_id=str(sender)[:64], mid=mid[:255], text=text[:MAX_BODY]))
    return found


def messenger_message_receive(*, sender_id: str, mid: str, text: str) -> Message:
    """Store one incoming Messenger message: in the sender's open chat, or a
    chat started for him. The same ``mid`` again returns the stored message."""
    from chat.services.chats import chat_start
    from chat.services.messages import message_post

    stored = Message.objects.filter(external_id=mid).first()
    if stored is not None:
        return stored
    last_error: ChatError | None = None
    for _attempt in range(2):
        try:
            # One transaction: a message that is refused leaves no empty chat behind.
            with transaction.atomic():
                chat = chat_start(
                    channel=Chat.Channel.MESSENGER,
                    visitor_messenger_id=sender_id,
                    queue_id=messenger_default_queue_id(),
                    # The sender id comes from an event Meta signed (X-Hub-Signature-256, checked by the view).
                    verified_via=Chat.Verification.MESSENGER,
                )
                return message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=text, external_id=mid)
        except ChatError as exc:
            # The chat closed between the two calls: start a new one once.
            if exc.code != "closed":
                raise
            last_error = exc
    assert last_error is not None
    raise last_error


def messenger_webhook_handle(*, payload) -> int:
    """Store every text message of a (signature-checked) webhook payload; returns how many."""
    stored = 0
    for incoming in messenger_events_parse(payload):
        try:
            messenger_message_receive(sender_id=incoming.sender_id, mid=incoming.mid, text=incoming.text)
            stored += 1
        except ChatError as exc:
            logger.warning("messenger event %s from %s refused: %s", incoming.mid, incoming.sender_id, exc)
    return stored

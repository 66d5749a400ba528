"""The Messenger channel's services: an incoming event becomes a client message
in the sender's open chat (or a new one), an agent's reply goes out through the
Send API with its delivery status kept on the message.

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
from django.utils.translation import gettext_lazy as _

from chat.messenger import client
from chat.models import Chat, Message, Queue
from chat.services.errors import ChatError
from chat.services.messages import MAX_BODY

logger = logging.getLogger(__name__)


@dataclass
class IncomingMessage:
    sender_id: str
    mid: str
    text: str


class DeliveryRetry(Exception):
    """A transient Send API failure: the task tries again later."""


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


def messenger_reply_queue(*, message_id: int) -> None:
    """Queue the delivery of an agent's reply on a Messenger chat (``message_post``
    stores it as pending and calls this after its transaction committed)."""
    from chat.messenger.tasks import messenger_send_reply

    pending = Message.objects.filter(
        pk=message_id,
        sender=Message.Sender.AGENT,
        chat__channel=Chat.Channel.MESSENGER,
        delivery_status=Message.Delivery.PENDING,
    ).exists()
    if not pending:
        return
    try:
        messenger_send_reply.delay(message_id)
    except Exception as exc:  # the broker is down: say so on the message instead of losing it silently
        logger.exception("could not queue the Messenger reply %s", message_id)
        _delivery_set(message_id, Message.Delivery.FAILED, f"Could not queue the delivery: {exc}", 0)


def messenger_message_deliver(*, message_id: int, final_attempt: bool = False) -> str:
    """One delivery attempt of an agent's reply. Returns the resulting status;
    raises :class:`DeliveryRetry` on a transient failure unless it was the last attempt."""
    message = Message.objects.select_related("chat").filter(pk=message_id).first()
    if message is None or message.delivery_status == Message.Delivery.SENT:
        return message.delivery_status if message else "missing"
    recipient = message.chat.visitor_messenger_id or (
        message.chat.customer.messenger_id if message.chat.customer_id and message.chat.customer else ""
    )
    attempts = message.delivery_attempts + 1
    if not recipient:
        _delivery_set(message_id, Message.Delivery.FAILED, str(_("The chat has no Messenger recipient.")), attempts)
        return Message.Delivery.FAILED
    try:
        result = client.send_text(recipient_id=recipient, text=message.body)
    except client.SendError as exc:
        if exc.retryable and not final_attempt:
            _delivery_set(message_id, Message.Delivery.PENDING, exc.message, attempts)
            raise DeliveryRetry(exc.message)
        _delivery_set(message_id, Message.Delivery.FAILED, exc.message, attempts)
        logger.warning("messenger reply %s failed after %s attempts: %s", message_id, attempts, exc.message)
        return Message.Delivery.FAILED
    _delivery_set(message_id, Message.Delivery.SENT, "", attempts, external_id=result.message_id)
    return Message.Delivery.SENT


def _delivery_set(message_id: int, status: str, error: str, attempts: int, external_id: str = "") -> None:
    fields = {"delivery_status": status, "delivery_error": error[:2000], "delivery_attempts": attempts}
    with transaction.atomic():
        if external_id and not Message.objects.filter(external_id=external_id).exists():
            fields["external_id"] = external_id
        Message.objects.filter(pk=message_id).exclude(delivery_status=Message.Delivery.SENT).update(**fields)

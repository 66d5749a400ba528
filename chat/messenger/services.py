"""The Messenger channel's services: an incoming event becomes a client message
in the sender's open chat (or a new one). An agent's reply goes out through the
outbox (chat/messenger/outbox.py), and so does, once per chat, the customer's place in the queue when his chat
starts waiting (``messenger_queue_place_send``). A tap on a quick reply of the rating question sent when his chat
closed (``RATE:<chat>:<score>``) rates that chat and never starts one (``messenger_rating_receive``).

Duplicates are decided by the database: one open chat per sender
(``chat_one_open_per_messenger_id``) and one message per Messenger ``mid``
(``Message.external_id`` is unique), so Meta's redeliveries, even concurrent
or out of order, store one message, and a burst opens one chat.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from chat.messenger.offline import messenger_offline_reply_after
from chat.messenger.outbox import messenger_reply_queue
from chat.models import Chat, ChatEvent, Message, Queue
from chat.selectors import chat_queue_place
from chat.services.chats import chat_start, lock_chat
from chat.services.errors import ChatError
from chat.services.live.publish import live_message
from chat.services.messages import MAX_BODY, message_post
from chat.services.ratings import RATING_PAYLOAD_PREFIX, RATING_THANKS, chat_rate
from chat.services.texts import system_text
from core.errors import ApplicationError

logger = logging.getLogger(__name__)

# How long after a Messenger chat starts its customer is told his place: dispatch (queued after the same commit) has
# had its chance by then, so a chat an agent took at once gets no "you are 2nd in line".
QUEUE_PLACE_DELAY_SECONDS = 5


@dataclass
class IncomingMessage:
    sender_id: str
    mid: str
    text: str
    # The payload of the quick reply the customer tapped ("" when he typed): RATE:<chat>:<score> is a rating.
    quick_reply: str = ""

    @property
    def is_rating(self) -> bool:
        return self.quick_reply.startswith(RATING_PAYLOAD_PREFIX)


@dataclass
class SkippedEvent:
    """An event that could not be read: where it was and why, in fixed words (never its text)."""

    where: str
    reason: str


@dataclass
class ParsedPayload:
    messages: list[IncomingMessage] = field(default_factory=list)
    skipped: list[SkippedEvent] = field(default_factory=list)


@dataclass(frozen=True)
class WebhookOutcome:
    stored: int
    skipped: int


class EventRefused(Exception):
    """One event of a payload has the wrong shape; the reason is a fixed phrase."""


def messenger_default_queue_id() -> int | None:
    """``MESSENGER_DEFAULT_QUEUE`` (a queue name) when it names an active queue, else the first active queue."""
    queues = Queue.objects.filter(active=True)
    if settings.MESSENGER_DEFAULT_QUEUE:
        named = queues.filter(name=settings.MESSENGER_DEFAULT_QUEUE).values_list("pk", flat=True).first()
        if named:
            return named
    return queues.order_by("id").values_list("pk", flat=True).first()


# PostgreSQL stores neither NUL bytes nor unpaired surrogates (JSON's "\\ud800" decodes to one).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean_text(value: str) -> str:
    """Text as PostgreSQL can keep it: NUL bytes removed, unpaired surrogates replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def _event_id(value, *, name: str, max_length: int) -> str:
    """An id (sender, mid) exactly as sent, or the event is refused: never repaired, never shortened,
    since a changed id would be another sender or another message."""
    if not isinstance(value, str):
        raise EventRefused(f"{name} is not a string")
    value = value.strip()
    if not value:
        raise EventRefused(f"{name} is empty")
    if "\x00" in value or _SURROGATE.search(value):
        raise EventRefused(f"{name} contains a NUL byte or an unpaired surrogate")
    if len(value) > max_length:
        raise EventRefused(f"{name} is longer than {max_length} characters")
    return value


def _attachments_text(attachments) -> str:
    """One line per attachment: its URL, or its type when it has none (a location, a fallback)."""
    if attachments is None:
        return ""
    if not isinstance(attachments, list):
        raise EventRefused("attachments is not a list")
    lines = []
    for attachment in attachments:
        if not isinstance(attachment, dict):
            raise EventRefused("an attachment is not an object")
        payload = attachment.get("payload")
        if payload is not None and not isinstance(payload, dict):
            raise EventRefused("an attachment payload is not an object")
        url = (payload or {}).get("url")
        kind = attachment.get("type")
        if url is not None and not isinstance(url, str):
            raise EventRefused("an attachment url is not a string")
        if kind is not None and not isinstance(kind, str):
            raise EventRefused("an attachment type is not a string")
        line = _clean_text(url or kind or "")
        if line:
            lines.append(line)
    return "\n".join(lines)


def _event_message(event) -> IncomingMessage | None:
    """The client's message of one ``messaging`` event; ``None`` for events Parley does not
    store (reads, deliveries, postbacks, the page's own echoes); :class:`EventRefused` when a
    part has the wrong type, an id holds a NUL byte, or there is nothing to store."""
    if not isinstance(event, dict):
        raise EventRefused("the event is not an object")
    if "message" not in event:
        return None
    message = event["message"]
    if not isinstance(message, dict):
        raise EventRefused("message is not an object")
    if message.get("is_echo"):
        return None
    sender = event.get("sender")
    if not isinstance(sender, dict):
        raise EventRefused("sender is not an object")
    sender_id = _event_id(sender.get("id"), name="sender id", max_length=64)
    mid = _event_id(message.get("mid"), name="mid", max_length=255)
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise EventRefused("text is not a string")
    quick_reply = message.get("quick_reply")
    payload = ""
    if quick_reply is not None:
        if not isinstance(quick_reply, dict):
            raise EventRefused("quick_reply is not an object")
        payload = quick_reply.get("payload")
        if not isinstance(payload, str):
            raise EventRefused("the quick reply's payload is not a string")
    text = _clean_text(text or "") or _attachments_text(message.get("attachments"))
    if not text and not payload.startswith(RATING_PAYLOAD_PREFIX):
        raise EventRefused("the message has neither text nor attachments")
    # Never refuse a client's words for their length: keep what fits in a message.
    return IncomingMessage(sender_id=sender_id, mid=mid, text=text[:MAX_BODY], quick_reply=payload)


def messenger_events_parse(payload) -> ParsedPayload:
    """The client messages of a webhook payload (``object == "page"``), and the events that
    could not be read. Each ``entry[].messaging[]`` event is read on its own: one of the wrong
    shape is skipped, the others are kept. Payloads of other objects are ignored."""
    parsed = ParsedPayload()
    if not isinstance(payload, dict):
        parsed.skipped.append(SkippedEvent("payload", "the payload is not an object"))
        return parsed
    if payload.get("object") != "page":
        return parsed
    entries = payload.get("entry")
    if entries is None:
        return parsed
    if not isinstance(entries, list):
        parsed.skipped.append(SkippedEvent("entry", "entry is not a list"))
        return parsed
    for e, entry in enumerate(entries):
        if not isinstance(entry, dict):
            parsed.skipped.append(SkippedEvent(f"entry {e}", "the entry is not an object"))
            continue
        events = entry.get("messaging")
        if events is None:
            continue
        if not isinstance(events, list):
            parsed.skipped.append(SkippedEvent(f"entry {e}", "messaging is not a list"))
            continue
        for n, event in enumerate(events):
            try:
                incoming = _event_message(event)
            except EventRefused as exc:
                parsed.skipped.append(SkippedEvent(f"entry {e} event {n}", str(exc)))
                continue
            if incoming is not None:
                parsed.messages.append(incoming)
    return parsed


def messenger_message_receive(*, sender_id: str, mid: str, text: str) -> Message:
    """Store one incoming Messenger message: in the sender's open chat, or a
    chat started for him. The same ``mid`` again returns the stored message."""
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
                if getattr(chat, "created", False):
                    # After the commit, and after the dispatch that commit queues (registered first).
                    transaction.on_commit(partial(messenger_queue_place_queue, chat_id=chat.pk))
                message = message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=text, external_id=mid)
                if getattr(message, "created", False):
                    # Outside business hours (or with nobody logged in): the automatic reply, once per period.
                    messenger_offline_reply_after(chat_id=chat.pk)
                return message
        except ChatError as exc:
            # The chat closed between the two calls: start a new one once.
            if exc.code != "closed":
                raise
            last_error = exc
    assert last_error is not None
    raise last_error


_RATING_PAYLOAD = re.compile(rf"^{RATING_PAYLOAD_PREFIX}(\d{{1,18}}):(\d{{1,2}})$")


def messenger_rating_receive(*, sender_id: str, payload: str, now: datetime | None = None) -> Chat:
    """The customer tapped a quick reply of the rating question (``RATE:<chat>:<score>``): rate that chat once
    and thank him through the outbox (docs/ratings.md).

    Only the customer the question went to may answer it: the chat must be a Messenger chat of this sender (the
    sender id comes from an event Meta signed). Every refusal (a payload Parley did not send, somebody else's chat,
    a second answer — a second tap, or Meta delivering the same event again —, the survey switched off) is a
    ``ChatError`` that the webhook logs and counts as skipped: nothing is written, nothing is sent, and no chat is
    started. The thank-you is sent only with the rating it thanks for, so a redelivery never thanks twice."""
    match = _RATING_PAYLOAD.match(payload or "")
    if match is None:
        raise ChatError(_("This is not an answer to a rating question."), field="payload", code="invalid")
    chat_id, score = int(match[1]), int(match[2])
    if not Chat.objects.filter(pk=chat_id, channel=Chat.Channel.MESSENGER, visitor_messenger_id=sender_id).exists():
        raise ChatError(_("There is no such chat."), field="chat", code="not_found")
    now = now or timezone.now()
    with transaction.atomic():
        chat = chat_rate(chat_id=chat_id, score=score, via="messenger", now=now)
        thanks = Message.objects.create(
            chat=chat, sender=Message.Sender.SYSTEM, body=system_text(RATING_THANKS), created_at=now,
            delivery_status=Message.Delivery.PENDING, delivery_next_attempt_at=now, delivery_queued_at=now,
        )
        live_message(chat_id=chat.pk, message_id=thanks.pk, sender=thanks.sender)
        transaction.on_commit(partial(messenger_reply_queue, message_id=thanks.pk))
    return chat


def messenger_webhook_handle(*, payload) -> WebhookOutcome:
    """Store every client message of a (signature-checked) webhook payload, each in its own
    savepoint: an event that cannot be read or stored is skipped with one log line (ids and a
    reason, never the text) and counted, and the others are stored. Only a database that is
    unavailable stops the batch (Meta redelivers it; each message is stored once)."""
    parsed = messenger_events_parse(payload)
    for skipped in parsed.skipped:
        logger.warning("messenger webhook: %s skipped: %s", skipped.where, skipped.reason)
    stored, refused = 0, len(parsed.skipped)
    for incoming in parsed.messages:
        try:
            with transaction.atomic():
                if incoming.is_rating:  # an answer to the rating question: never a message, never a new chat
                    messenger_rating_receive(sender_id=incoming.sender_id, payload=incoming.quick_reply)
                else:
                    messenger_message_receive(sender_id=incoming.sender_id, mid=incoming.mid, text=incoming.text)
            stored += 1
        except ApplicationError as exc:  # chat's refusal, or the CRM's when the sender became a customer
            refused += 1
            logger.warning("messenger event %s from %s refused: %s", incoming.mid, incoming.sender_id, exc)
        except (OperationalError, InterfaceError):
            raise
        except Exception as exc:  # one event's failure never blocks the others (nor makes Meta retry them)
            refused += 1
            logger.error("messenger event %s from %s not stored: %s", incoming.mid, incoming.sender_id,
                         type(exc).__name__)
    return WebhookOutcome(stored=stored, skipped=refused)


def messenger_queue_place_queue(*, chat_id: int) -> None:
    """Queue the customer's place for a chat that has just started (after its commit), ``QUEUE_PLACE_DELAY_SECONDS``
    later. A broker that is down loses only this courtesy (logged): the place is never sent late by a sweep."""
    from chat.messenger.tasks import messenger_send_queue_place  # the tasks import this module

    try:
        messenger_send_queue_place.apply_async((chat_id,), countdown=QUEUE_PLACE_DELAY_SECONDS)
    except Exception as exc:  # kombu raises several kinds
        logger.warning("Messenger chat %s: its place in the queue not queued: %s", chat_id, exc)


def messenger_queue_place_send(*, chat_id: int, now: datetime | None = None) -> Message | None:
    """Tell the Messenger customer his place in the queue, once per chat: "You are 3rd in line, about 2 minutes."

    Only while the chat waits for dispatch (not when an agent took it at once, not when its automatic assignment
    stopped: ``chat_queue_place``), and never twice: the chat row is locked and a ``queue_position_sent`` event
    says it was sent. The sentence is a system message in the site's language (as every system message), sent
    through the Messenger outbox like an agent's reply (pending, queued after commit, retried by the outbox's
    rules); the event keeps the message, the position and the estimate. Returns the message, or None."""
    now = now or timezone.now()
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.channel != Chat.Channel.MESSENGER or chat.status != Chat.Status.WAITING:
            return None
        if ChatEvent.objects.filter(chat_id=chat.pk, kind=ChatEvent.Kind.QUEUE_POSITION_SENT).exists():
            return None
        if chat.offline_reply_sent_at is not None:  # told that nobody can answer now (chat/messenger/offline.py)
            return None
        place = chat_queue_place(chat_id=chat.pk, now=now)
        if place is None:
            return None
        with translation.override(settings.LANGUAGE_CODE):
            body = place.text
        message = Message.objects.create(
            chat=chat, sender=Message.Sender.SYSTEM, body=body, created_at=now,
            delivery_status=Message.Delivery.PENDING, delivery_next_attempt_at=now, delivery_queued_at=now,
        )
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.QUEUE_POSITION_SENT, queue_id=chat.queue_id, created_at=now,
            data={"message": message.pk, "position": place.position, "wait_seconds": place.wait_seconds},
        )
        live_message(chat_id=chat.pk, message_id=message.pk, sender=message.sender)
        transaction.on_commit(partial(messenger_reply_queue, message_id=message.pk))
    return message

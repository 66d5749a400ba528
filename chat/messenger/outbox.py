"""The Messenger outbox: an agent's reply reaches the customer once, or a person decides.

The Send API has no idempotency key: a reply Graph received twice is shown twice.
So a reply is sent again automatically only when the previous attempt provably did
not reach Graph, and every step is a conditional update of the message row (the
database is the guard, not the broker):

    pending --claim--> sending --> sent
       ^                  |------> failed   (Graph refused it, or the attempts ran out)
       |                  |------> unknown  (sent, no clear answer: read timeout, 5xx,
       |                  |                  a worker that died mid-request)
       '--- not reached --'        unknown / failed --"send again" by an agent--> pending

* **claim** (``pending`` and due -> ``sending``): sets ``delivery_claimed_at``, adds one to
  ``delivery_attempts``. Only one worker wins; a task delivered twice finds nothing to claim.
* **finish**: only the worker of attempt N may finish attempt N (``delivery_attempts`` is the
  fence); a finish may also upgrade an ``unknown`` the sweep wrote for a worker it thought dead
  (a late 200 is proof of delivery).
* **retry**: back to ``pending`` with ``delivery_next_attempt_at`` = now + backoff and a task
  queued with that countdown; the sweep queues it if that task is lost.
* **queued**: ``delivery_queued_at`` says when a task was queued for a pending reply (or, for a
  retry, when its countdown ends); it is NULL when queueing failed (the broker was down).
* **the sweep** (``messenger_outbox_sweep``, a timed rule): due pending replies that nobody queued,
  or whose task has not claimed them ``QUEUE_GRACE`` after it was queued (a lost task), are queued;
  ``sending`` claims older than the longest possible call plus ``CLAIM_MARGIN`` become ``unknown``
  (the worker died; Graph may have accepted the reply).

Each clock reading is compared only with readings of the same kind of event (a claim with the
claim's due time, which no sweep moves), so a sweep on a machine whose clock runs ahead cannot
make a reply look "not yet due" to the worker that should send it.

docs/decisions.md "Messenger outbox" says why each state exists.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chat.messenger import client
from chat.models import Chat, ChatEvent, Message
from chat.services.errors import ChatError
from chat.services.live.publish import live_chat

logger = logging.getLogger(__name__)

D = Message.Delivery
# A task queued this long ago that has not claimed its reply counts as lost: the sweep queues another
# (a queued task normally claims it within moments; once per grace at most).
QUEUE_GRACE = timedelta(seconds=30)
# Added to the longest possible Send API call before a claim counts as a dead worker's.
CLAIM_MARGIN = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 2
BACKOFF_MAX_SECONDS = 600
SWEEP_BATCH = 500
SEND_AGAIN_FROM = (D.UNKNOWN, D.FAILED)


def max_attempts() -> int:
    """Automatic attempts of one reply: the first one and ``MESSENGER_SEND_MAX_RETRIES`` retries."""
    return settings.MESSENGER_SEND_MAX_RETRIES + 1


def claim_timeout() -> timedelta:
    """How old a ``sending`` claim may be before the sweep calls it a dead worker's: the longest call
    of the client (the connection, then the request and its answer, each within the timeout) plus a margin."""
    return timedelta(seconds=2 * float(settings.MESSENGER_SEND_TIMEOUT_SECONDS)) + CLAIM_MARGIN


def retry_delay(attempt: int) -> timedelta:
    """Exponential backoff after the ``attempt``-th try (2, 4, 8 … s, at most 10 min), jittered
    down by up to half so that replies held back by one outage do not all come back at once."""
    ceiling = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


def messenger_reply_queue(*, message_id: int, countdown: float | None = None) -> bool:
    """Queue one delivery attempt of a pending reply (``message_post`` calls it after its commit; the
    row already says it is queued).

    A broker that is down is not the reply's failure: it stays ``pending``, marked as queued by nobody,
    and the sweep queues it once the broker is back. Returns whether the task was queued."""
    # Imported here: chat.messenger.tasks imports this module's services at its top (the task calls them).
    from chat.messenger.tasks import messenger_send_reply

    try:
        if countdown:
            messenger_send_reply.apply_async((message_id,), countdown=countdown)
        else:
            messenger_send_reply.delay(message_id)
    except Exception as exc:  # kombu raises several kinds; none of them may lose the reply
        logger.warning("Messenger reply %s not queued (the outbox sweep will queue it): %s", message_id, exc)
        Message.objects.filter(pk=message_id, delivery_status=D.PENDING).update(delivery_queued_at=None)
        return False
    return True


def messenger_message_deliver(*, message_id: int) -> str:
    """One delivery attempt of an agent's reply, if this caller wins its claim. Returns the status
    the reply is left in (or the status it had when there was nothing to claim)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            # for_visitor(): a private note is never sent, whatever its delivery fields say.
            Message.objects.for_visitor()
            .filter(pk=message_id, delivery_status=D.PENDING)
            .filter(Q(delivery_next_attempt_at__lte=now) | Q(delivery_next_attempt_at__isnull=True))
            .update(delivery_status=D.SENDING, delivery_claimed_at=now, delivery_attempts=F("delivery_attempts") + 1)
        )
        if not claimed:
            return Message.objects.filter(pk=message_id).values_list("delivery_status", flat=True).first() or "missing"
        message = Message.objects.select_related("chat", "chat__customer").get(pk=message_id)
        _delivery_changed(message_id, message.chat_id, message.chat.agent_id, D.SENDING)
    attempt = message.delivery_attempts
    chat = message.chat
    recipient = chat.visitor_messenger_id or (chat.customer.messenger_id if chat.customer_id else "")
    if not recipient:
        _finish(message_id, attempt, D.FAILED, gettext("The chat has no Messenger recipient."), chat=chat)
        return D.FAILED
    try:
        result = client.send_text(recipient_id=recipient, text=message.body, quick_replies=message.quick_replies)
    except client.SendError as exc:
        if exc.outcome == client.NOT_REACHED and attempt < max_attempts():
            delay = retry_delay(attempt)
            due = timezone.now() + delay
            if _finish(message_id, attempt, D.PENDING, exc.message, next_attempt_at=due, queued_at=due, chat=chat):
                messenger_reply_queue(message_id=message_id, countdown=delay.total_seconds())
            return D.PENDING
        status = D.UNKNOWN if exc.outcome == client.UNCONFIRMED else D.FAILED
        _finish(message_id, attempt, status, exc.message, chat=chat)
        logger.warning("Messenger reply %s is %s after attempt %s: %s", message_id, status, attempt, exc.message)
        return status
    _finish(message_id, attempt, D.SENT, "", external_id=result.message_id, chat=chat)
    return D.SENT


def _finish(message_id: int, attempt: int, status: str, error: str, *, next_attempt_at: datetime | None = None,
            queued_at: datetime | None = None, external_id: str = "", chat: Chat) -> bool:
    """Record the outcome of attempt ``attempt``, if the reply is still that attempt's."""
    fields = {
        "delivery_status": status,
        "delivery_error": error[:2000],
        "delivery_next_attempt_at": next_attempt_at,
        "delivery_queued_at": queued_at,
    }
    with transaction.atomic():
        if external_id and not Message.objects.filter(external_id=external_id).exists():
            fields["external_id"] = external_id
        recorded = bool(
            Message.objects.filter(
                pk=message_id, delivery_attempts=attempt, delivery_status__in=(D.SENDING, D.UNKNOWN)
            ).update(**fields)
        )
        if recorded:
            _delivery_changed(message_id, chat.pk, chat.agent_id, status)
        return recorded


def _delivery_changed(message_id: int, chat_id: int, agent_id: int | None, status: str) -> None:
    """The open chat shows each reply's delivery state (and its header counts the failed and unconfirmed)."""
    live_chat("chat.changed", chat_id=chat_id, agents=[agent_id], message_id=message_id, delivery_status=status)


def messenger_outbox_sweep(*, now: datetime | None = None) -> int:
    """The outbox's safety net (a timed rule). Marks ``unknown`` the replies whose worker died
    mid-request and queues the pending replies nobody picked up. Returns how many it changed."""
    now = now or timezone.now()
    with transaction.atomic():
        stopped = Message.objects.filter(delivery_status=D.SENDING, delivery_claimed_at__lt=now - claim_timeout())
        rows = list(
            stopped.select_for_update(skip_locked=True, of=("self",)).values_list("pk", "chat_id", "chat__agent_id")
        )
        stale = stopped.filter(pk__in=[pk for pk, _chat, _agent in rows]).update(
            delivery_status=D.UNKNOWN,
            delivery_error=gettext("The sending stopped before Messenger answered; the reply may have arrived."),
        )
        for message_id, chat_id, agent_id in rows:
            _delivery_changed(message_id, chat_id, agent_id, D.UNKNOWN)
    with transaction.atomic():
        due = (
            Message.objects.filter(delivery_status=D.PENDING)
            .filter(Q(delivery_next_attempt_at__lte=now) | Q(delivery_next_attempt_at__isnull=True))
            .filter(Q(delivery_queued_at__isnull=True) | Q(delivery_queued_at__lte=now - QUEUE_GRACE))
            .order_by("delivery_next_attempt_at", "id")
            .select_for_update(skip_locked=True)
        )
        ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        if ids:
            Message.objects.filter(pk__in=ids, delivery_status=D.PENDING).update(delivery_queued_at=now)
            transaction.on_commit(partial(_queue_all, ids))
    if stale or ids:
        logger.info("Messenger outbox: %s replies unconfirmed after a stopped worker, %s queued", stale, len(ids))
    return stale + len(ids)


def _queue_all(ids: list[int]) -> None:
    for message_id in ids:
        if not messenger_reply_queue(message_id=message_id):
            break  # the broker is down again: the rest waits for the next sweep


def message_delivery_retry(*, message_id: int, actor=None) -> Message:
    """An agent sends again a reply that is ``unknown`` (it may have arrived: his decision) or
    ``failed``. Back to ``pending``, queued after commit, a ``reply_sent_again`` event names him."""
    now = timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",)).select_related("chat").filter(pk=message_id).first()
        )
        if message is None:
            raise ChatError(_("There is no such message."), field="message", code="not_found")
        if message.delivery_status == D.NOT_APPLICABLE or message.chat.channel != Chat.Channel.MESSENGER:
            raise ChatError(_("Only a reply on a Messenger chat can be sent again."), field="message", code="invalid")
        if message.chat.status == Chat.Status.CLOSED:
            raise ChatError(_("This chat is closed."), field="chat", code="closed")
        if message.delivery_status not in SEND_AGAIN_FROM:
            raise ChatError(_("This reply is not waiting to be sent again."), field="message", code="conflict")
        previous, error = message.delivery_status, message.delivery_error
        Message.objects.filter(pk=message_id, delivery_status__in=SEND_AGAIN_FROM).update(
            delivery_status=D.PENDING, delivery_next_attempt_at=now, delivery_queued_at=now,
            delivery_claimed_at=None, delivery_error="",
        )
        ChatEvent.objects.create(
            chat_id=message.chat_id, kind=ChatEvent.Kind.REPLY_SENT_AGAIN, actor=actor, created_at=now,
            data={"message": message_id, "previous": previous, "error": error[:500]},
        )
        _delivery_changed(message_id, message.chat_id, message.chat.agent_id, D.PENDING)
        transaction.on_commit(partial(messenger_reply_queue, message_id=message_id))
    message.refresh_from_db()
    return message

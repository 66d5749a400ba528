"""Messenger outside business hours (issue 17, point 2; docs/messenger-offline.md).

A customer who writes while his chat's queue takes no live chat (``chat.services.hours.offline_reason``: closed, or
nobody of the queue logged in when the queue says that makes it offline) gets one automatic reply per offline
period, and his chat waits: held until the opening when it started while closed (``chat_start``), routed by
dispatch as any other chat afterwards.

* **Once per offline period, per customer.** ``Chat.offline_reply_sent_at`` is claimed by a conditional UPDATE: only
  when it is empty or older than the start of the current offline period, and when no other chat of the same
  Messenger sender got a reply since that start. Two deliveries of the customer's messages at once: the chat row's
  lock (``message_post`` holds it) makes the second UPDATE see the first one's time, so it changes nothing.
* **The period.** Closed: since the end of the last opening (``Schedule.closed_since``); Friday night and Saturday
  are one period, the next Friday night is another. Nobody logged in: since the later of the current opening's
  start and the last log-out of a member of the queue.
* **Only a waiting chat.** A chat an agent holds (assigned: he is logged in, a log-out requeues his chats) gets no
  automatic reply; he answers.
* **The text.** Closed: ``Queue.offline_reply``, or the default sentence naming the next opening in the queue's
  time zone ("We are closed now; we will answer from Monday, 08:00."). Nobody logged in: a fixed sentence ("Nobody
  can answer right now; …"), since the queue's text speaks of its hours. In the site's language (``LANGUAGE_CODE``),
  as every system message: Messenger does not tell Parley the customer's language.
* **Delivery.** A system message of the chat (the agent sees what the customer was told; a system message never
  starts, reopens or refreshes a chat), ``pending`` in the Messenger outbox in the same transaction as the
  customer's message, queued after commit, retried and swept like an agent's reply: never lost. An
  ``offline_reply_sent`` event keeps the message, the reason and the next opening.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, pgettext_lazy

from agents.models import PresenceEvent
from chat.messenger.outbox import messenger_reply_queue
from chat.models import Chat, ChatEvent, Message, Queue, QueueMembership
from chat.services import hours
from chat.services.hours import CLOSED, NO_AGENTS, Schedule
from chat.services.live.publish import live_message

logger = logging.getLogger(__name__)

# The Send API takes at most 2000 characters of text; the queue's own text is limited to less
# (``Queue.offline_reply``'s max_length, checked by ``Queue.clean``).
SEND_API_TEXT_MAX = 2000
# How far back the start of an offline period is looked for when nothing earlier says it (a queue never open).
LOOK_BACK = timedelta(days=hours.HORIZON_DAYS)
# How far back the start of the current opening is looked for (a queue open without a break for longer: that long).
OPENING_LOOK_BACK = timedelta(days=8)

# "… we will answer from <weekday>, 08:00.": the weekday as that sentence needs it (Polish: "w poniedziałek").
_FROM_WEEKDAY = [
    pgettext_lazy("we will answer from <weekday>", "Monday"),
    pgettext_lazy("we will answer from <weekday>", "Tuesday"),
    pgettext_lazy("we will answer from <weekday>", "Wednesday"),
    pgettext_lazy("we will answer from <weekday>", "Thursday"),
    pgettext_lazy("we will answer from <weekday>", "Friday"),
    pgettext_lazy("we will answer from <weekday>", "Saturday"),
    pgettext_lazy("we will answer from <weekday>", "Sunday"),
]


def offline_reply_text(*, queue: Queue, reason: str, now: datetime, schedule: Schedule | None = None) -> str:
    """The automatic reply in the active language: the queue's own text or the default one with the next opening
    (``reason`` CLOSED), or the "nobody can answer right now" sentence (NO_AGENTS)."""
    if reason == NO_AGENTS:
        return gettext("Nobody can answer right now; we will reply as soon as an agent is available.")
    own = (queue.offline_reply or "").strip()
    if own:
        return own[:SEND_API_TEXT_MAX]
    schedule = schedule or Schedule.of(queue)
    opens = schedule.next_opening(now)
    if opens is None:
        return gettext("We are closed now; we will answer as soon as we open.")
    local = opens.astimezone(schedule.zone)
    days = (local.date() - now.astimezone(schedule.zone).date()).days
    time = f"{local:%H:%M}"
    if days <= 0:
        return gettext("We are closed now; we will answer from %(time)s today.") % {"time": time}
    if days == 1:
        return gettext("We are closed now; we will answer from %(time)s tomorrow.") % {"time": time}
    if days < 7:
        return gettext("We are closed now; we will answer from %(day)s, %(time)s.") % {
            "day": _FROM_WEEKDAY[local.weekday()], "time": time,
        }
    date = formats.date_format(local.date(), "j E" if local.year == now.astimezone(schedule.zone).year else "j E Y")
    return gettext("We are closed now; we will answer from %(date)s, %(time)s.") % {"date": date, "time": time}


def offline_period_start(*, queue: Queue, reason: str, now: datetime, schedule: Schedule | None = None) -> datetime:
    """When the offline period that holds ``now`` began: a reply sent before it belongs to an earlier period."""
    schedule = schedule or Schedule.of(queue)
    if reason == CLOSED:
        return schedule.closed_since(now) or now - LOOK_BACK
    # Nobody of the queue logged in: since the opening, or since the last of them logged out, whichever is later.
    openings = [a for a, b in schedule.intervals(now - OPENING_LOOK_BACK, now + timedelta(seconds=1)) if a <= now]
    opened = openings[-1] if openings else now - OPENING_LOOK_BACK
    members = QueueMembership.objects.filter(queue=queue).values("agent_id")
    last_logout = PresenceEvent.objects.filter(
        kind=PresenceEvent.Kind.LOGGED_OUT, agent_id__in=members, created_at__lte=now
    ).aggregate(last=Max("created_at"))["last"]
    return max(opened, last_logout) if last_logout else opened


def messenger_offline_reply_send(*, chat_id: int, now: datetime | None = None) -> Message | None:
    """After a customer's message: the automatic reply, when the chat waits in a queue that takes no live chat and
    this customer has had none in this offline period. Call it in the transaction that stored his message. Returns
    the reply (a pending system message, queued for the Send API after commit), or None."""
    now = now or timezone.now()
    chat = Chat.objects.select_related("queue").filter(pk=chat_id).first()
    if chat is None or chat.channel != Chat.Channel.MESSENGER or chat.status != Chat.Status.WAITING:
        return None
    queue = chat.queue
    if queue is None:
        return None
    reason = hours.offline_reason(queue, now)
    if not reason:
        return None
    schedule = Schedule.of(queue)
    since = offline_period_start(queue=queue, reason=reason, now=now, schedule=schedule)
    with transaction.atomic():
        claim = Chat.objects.filter(pk=chat.pk, status=Chat.Status.WAITING).filter(
            Q(offline_reply_sent_at__isnull=True) | Q(offline_reply_sent_at__lt=since)
        )
        if chat.visitor_messenger_id:
            # Per customer: a chat of his that closed in this period already told him.
            claim = claim.exclude(Exists(
                Chat.objects.filter(
                    visitor_messenger_id=chat.visitor_messenger_id, offline_reply_sent_at__gte=since
                ).exclude(pk=OuterRef("pk"))
            ))
        if not claim.update(offline_reply_sent_at=now):
            return None
        with translation.override(settings.LANGUAGE_CODE):
            body = offline_reply_text(queue=queue, reason=reason, now=now, schedule=schedule)
        message = Message.objects.create(
            chat=chat, sender=Message.Sender.SYSTEM, body=body, created_at=now,
            delivery_status=Message.Delivery.PENDING, delivery_next_attempt_at=now, delivery_queued_at=now,
        )
        opens = schedule.next_opening(now) if reason == CLOSED else None
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.OFFLINE_REPLY_SENT, queue_id=queue.pk, created_at=now, reason=reason,
            data={"message": message.pk, "reason": reason, "opens": opens.isoformat() if opens else None},
        )
        live_message(chat_id=chat.pk, message_id=message.pk, sender=message.sender)
        transaction.on_commit(partial(messenger_reply_queue, message_id=message.pk))
    return message


def messenger_offline_reply_after(*, chat_id: int) -> Message | None:
    """``messenger_offline_reply_send`` in its own savepoint, for the webhook: a reply that cannot be written is
    logged and never costs the customer's message (only a database that is unavailable stops the event)."""
    try:
        with transaction.atomic():
            return messenger_offline_reply_send(chat_id=chat_id)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        logger.exception("Messenger chat %s: the automatic reply outside business hours not written", chat_id)
        return None

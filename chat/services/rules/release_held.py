"""Business hours: the chats held while their queue was closed are queued when it opens (``RELEASE_AT_OPENING``:
queue time = the opening, so they are routed like any chat that comes then, in the order they were written).

The queue time is the moment the queue opened (``Schedule.opened_at``), not the moment this rule ran: a run that
comes late (the rule runs every 30 s; a worker may be down) must not put them behind chats written after the
opening. A queue whose business hours were switched off, or that holds chats and is open around the clock, has no
opening to point at: its chats are queued at the run's time."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction

from chat.models import Chat, ChatEvent, Queue
from chat.models.conditions import HELD_FOR_HOURS
from chat.models.transitions import RELEASE_AT_OPENING
from core.conditions import P, Where

from ..hours import Schedule
from ..live.publish import live_chat
from .base import Due, dispatch_after, lock_due_update, now_or

logger = logging.getLogger(__name__)

HELD_IN_QUEUE = HELD_FOR_HOURS & Where(queue_id=P("queue"))


def held_queues_open(*, now: datetime) -> dict[int, datetime]:
    """The queues that have held chats and are open at ``now`` (``chat_held_for_hours_idx``), each with the
    moment it opened (``now`` when that is unknown)."""
    held = Chat.objects.filter(HELD_FOR_HOURS.q()).values("queue_id").distinct()
    queues = Queue.objects.filter(pk__in=held).prefetch_related("opening_hours", "hours_exceptions")
    opened = {}
    for queue in queues:
        schedule = Schedule.of(queue)
        if schedule.is_open(now):
            opened[queue.pk] = min(schedule.opened_at(now) or now, now)
    return opened


def chats_release_held(*, now: datetime | None = None) -> int:
    """Queue the held chats of every queue that is open now; one RELEASED event each; then dispatch."""
    now = now_or(now)
    released = []
    for queue_id, opening in held_queues_open(now=now).items():
        with transaction.atomic():
            rows = lock_due_update(
                Due(Chat, HELD_IN_QUEUE, {"queue": queue_id}), RELEASE_AT_OPENING, values={"opening": opening},
                columns=("id", "queue_id", "hours_held_at"), order_by="id",
            )
            ChatEvent.objects.bulk_create(
                [
                    ChatEvent(chat_id=cid, kind=ChatEvent.Kind.RELEASED, created_at=now, queue_id=qid,
                              data={"held_since": held_at.isoformat() if held_at else None,
                                    "opened_at": opening.isoformat()})
                    for cid, qid, held_at in rows
                ],
                batch_size=2000,
            )
            for cid, qid, _held in rows:
                live_chat("chat.queued", chat_id=cid, queues=[qid])
        released += rows
    if released:
        logger.info("queued %d chats held for business hours", len(released))
        dispatch_after(now)
    return len(released)

"""Rule 3 (parameter 13): chats waiting longer than X hours are left for a manual Assign.

The wait counts only the queue's business hours (issue 17): a chat written on Friday at 17:59, one minute before
its queue closes for the weekend, has waited one minute on Monday at 08:00, not 62 hours. For a queue without
business hours this is the wall clock, as before.

Set-based and cheap (docs/timed-rules.md, "Stop automatic assignment"): business hours never make a wait longer
than the wall clock, so the chats that waited X hours of wall clock (``chat_waiting_auto_idx``) are the only
candidates, and the idle sweep is that one ``COUNT(*)``. When some are found, the queues with business hours among
theirs each get a cut-off of their own, ``Schedule.open_before(now, X)``: the latest queue time from which X hours of
business hours have passed by now. Then one conditional ``UPDATE`` for the queues without business hours (the
wall-clock cut-off; without a queue filter at all when no queue with business hours has a candidate) and one per
queue with business hours that has chats due.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min

from chat.models import Chat, ChatEvent, ChatSettings, Queue
from chat.models.schedule import Schedule
from chat.models.transitions import STOP_AUTO_ASSIGN
from core.conditions import P, Where

from ..live.publish import live_chat
from .base import Due, lock_due_update, now_or

logger = logging.getLogger(__name__)

# Waiting, still auto-assigned, not held for business hours, queued at or before the cut-off
# (``chat_waiting_auto_idx``).
HALTING = STOP_AUTO_ASSIGN.when & Where(queued_at__lte=P("cutoff"))
# The same within some queues (a list: ``queue_id = ANY(%(queues)s)``).
HALTING_IN = HALTING & Where(queue_id__in=P("queues"))


def halting_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Chats waiting (and still auto-assigned) for X hours or more of wall clock (``chat_waiting_auto_idx``): the
    candidates, and every one of them is due in a queue without business hours; None when X = 0."""
    if not card.stop_auto_assign_after_hours:
        return None
    return Due(Chat, HALTING, {"cutoff": now - timedelta(hours=card.stop_auto_assign_after_hours)})


def halting_cutoffs(*, due: Due, hours: int, now: datetime) -> list[Due]:
    """What is due, split by the queues' business hours (see the module's docstring): a ``Due`` per cut-off."""
    wall = due.values["cutoff"]
    candidates = dict(
        Chat.objects.filter(due.condition.q(**due.values)).values("queue_id").annotate(first=Min("queued_at"))
        .order_by().values_list("queue_id", "first")
    )
    timed = Queue.objects.filter(pk__in=[q for q in candidates if q is not None], business_hours=True)
    timed = list(timed.prefetch_related("opening_hours", "hours_exceptions"))
    if not timed:
        return [due]  # the single UPDATE of before business hours
    plain = [queue_id for queue_id in candidates if queue_id not in {q.pk for q in timed}]
    dues = [Due(Chat, HALTING_IN, {"cutoff": wall, "queues": plain})] if plain else []
    for queue in timed:
        cutoff = Schedule.of(queue).open_before(now, hours * 3600, limit=candidates[queue.pk])
        if cutoff is not None:
            dues.append(Due(Chat, HALTING_IN, {"cutoff": min(cutoff, wall), "queues": [queue.pk]}))
    return dues


def chats_stop_auto_assign(*, now: datetime | None = None) -> int:
    """Mark chats waiting longer than X hours (0 = never) of their queue's business hours as no longer auto-assigned.

    One ``UPDATE … WHERE status='waiting' AND auto_assign_stopped_at IS NULL AND hours_held_at IS NULL AND
    queued_at <= cutoff`` (``STOP_AUTO_ASSIGN``, ``chat_waiting_auto_idx``) per cut-off (``halting_cutoffs``) plus
    one AUTO_ASSIGN_STOPPED event per chat it changed. They stay waiting for a manual Assign.
    """
    now = now_or(now)
    card = ChatSettings.load()
    due = halting_due(card=card, now=now)
    if due is None or not due.count():  # X = 0 (never), or the idle sweep
        return 0
    hours = card.stop_auto_assign_after_hours
    stopped = 0
    with transaction.atomic():
        for part in halting_cutoffs(due=due, hours=hours, now=now):
            rows = lock_due_update(part, STOP_AUTO_ASSIGN, values={"now": now}, columns=("id", "queue_id"))
            ChatEvent.objects.bulk_create(
                [
                    ChatEvent(
                        chat_id=cid,
                        kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED,
                        created_at=now,
                        queue_id=queue_id,
                        data={"after_hours": hours},
                    )
                    for cid, queue_id in rows
                ],
                batch_size=2000,
            )
            for cid, queue_id in rows:
                live_chat("chat.changed", chat_id=cid, queues=[queue_id], auto_assign_stopped=True)
            stopped += len(rows)
    if stopped:
        logger.info("stopped automatic assignment of %d chats", stopped)
    return stopped

"""Rule 3 (parameter 13): chats waiting longer than X hours are left for a manual Assign."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from chat.models import Chat, ChatEvent, ChatSettings
from chat.models.transitions import STOP_AUTO_ASSIGN
from core.conditions import P, Where

from ..live.publish import live_chat
from .base import Due, lock_due_update, now_or

logger = logging.getLogger(__name__)

# Waiting, still auto-assigned, queued at or before the cut-off (``chat_waiting_auto_idx``).
HALTING = STOP_AUTO_ASSIGN.when & Where(queued_at__lte=P("cutoff"))


def halting_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Chats waiting (and still auto-assigned) for X hours or more (``chat_waiting_auto_idx``); None when X = 0."""
    if not card.stop_auto_assign_after_hours:
        return None
    return Due(Chat, HALTING, {"cutoff": now - timedelta(hours=card.stop_auto_assign_after_hours)})


def chats_stop_auto_assign(*, now: datetime | None = None) -> int:
    """Mark chats waiting longer than X hours (0 = never) as no longer auto-assigned.

    One ``UPDATE … WHERE status='waiting' AND auto_assign_stopped_at IS NULL AND queued_at <= cutoff``
    (``STOP_AUTO_ASSIGN``, ``chat_waiting_auto_idx``) plus one AUTO_ASSIGN_STOPPED event per chat it changed.
    They stay waiting for a manual Assign.
    """
    now = now_or(now)
    card = ChatSettings.load()
    due = halting_due(card=card, now=now)
    if due is None or not due.count():  # X = 0 (never), or the idle sweep
        return 0
    with transaction.atomic():
        rows = lock_due_update(due, STOP_AUTO_ASSIGN, values={"now": now}, columns=("id", "queue_id"))
        ChatEvent.objects.bulk_create(
            [
                ChatEvent(
                    chat_id=cid,
                    kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED,
                    created_at=now,
                    queue_id=queue_id,
                    data={"after_hours": card.stop_auto_assign_after_hours},
                )
                for cid, queue_id in rows
            ],
            batch_size=2000,
        )
        for cid, queue_id in rows:
            live_chat("chat.changed", chat_id=cid, queues=[queue_id], auto_assign_stopped=True)
    if rows:
        logger.info("stopped automatic assignment of %d chats", len(rows))
    return len(rows)

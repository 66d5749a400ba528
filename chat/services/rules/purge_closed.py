"""Rule 4 (parameter 12): delete chats closed more than X days ago, with everything that hangs on them."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction

from chat.models import Attachment, Chat, ChatEvent, ChatSettings, Message, NoReplyExclusion, OfflineEmail

from ..storage import storage_delete_files_on_commit
from ..visitors import visitor_tokens_forget
from .base import now_or

logger = logging.getLogger(__name__)


def chats_purge_closed(*, now: datetime | None = None, batch_size: int = 2000) -> int:
    """Delete chats closed more than X days ago (0 = off) with their messages, events,
    exclusions, offline e-mails, attachments and the attachments' files (removed from storage after commit).
    Open chats are never touched: the query reads closed chats only (``chat_closed_at_idx``)."""
    now = now_or(now)
    card = ChatSettings.load()
    if not card.delete_chats_after_days:
        return 0
    cutoff = now - timedelta(days=card.delete_chats_after_days)
    if not Chat.objects.filter(status=Chat.Status.CLOSED, closed_at__lte=cutoff).exists():  # the idle sweep
        return 0
    total = 0
    while True:
        with transaction.atomic():
            # Locked with SKIP LOCKED where the database has it (PostgreSQL); SQLite, which serialises writers,
            # has no such clause and Django leaves it out.
            due = (
                Chat.objects.filter(status=Chat.Status.CLOSED, closed_at__lte=cutoff)
                .order_by("closed_at")
                .select_for_update(skip_locked=True, of=("self",))
            )
            ids = list(due.values_list("id", flat=True)[:batch_size])
            if not ids:
                return total
            attachments = Attachment.objects.filter(message__chat_id__in=ids)
            names = list(attachments.exclude(file="").values_list("file", flat=True))
            attachments.delete()
            for model in (OfflineEmail, Message, ChatEvent, NoReplyExclusion):
                model.objects.filter(chat_id__in=ids)._raw_delete(model.objects.db)
            # Closed and still closed (locked): whatever else points at a chat is handled by Django's collector.
            Chat.objects.filter(pk__in=ids, status=Chat.Status.CLOSED).delete()
            storage_delete_files_on_commit(names=names)
            visitor_tokens_forget(chat_ids=ids)
        total += len(ids)
        logger.info("purged %d closed chats", len(ids))
        if len(ids) < batch_size:
            return total

"""Rule 5 (parameter 14): files past their download hours are retired and removed from storage."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from chat.models import Attachment, Message
from chat.models.conditions import EXPIRY_DUE
from chat.models.transitions import RETIRE_FILE

from ..live.publish import live_chat
from ..storage import storage_delete_files_on_commit
from .base import Due, lock_due_update, now_or


def attachments_expire(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Retire every attachment past its download hours (``EXPIRY_DUE``, ``RETIRE_FILE``): ``expired_at`` set,
    the stored name cleared, the file removed from storage after commit.

    One indexed query per batch (``attachment_due_idx``), oldest first, a conditional update
    (``expired_at IS NULL``) and ``SKIP LOCKED``: two workers never retire the
    same file twice, a second run finds nothing.
    """
    now = now_or(now)
    due = Due(Attachment, EXPIRY_DUE, {"now": now})
    total = 0
    while True:
        with transaction.atomic():
            rows = lock_due_update(
                due, RETIRE_FILE, values={"now": now}, columns=("id", "file", "message_id"), order_by="expires_at",
                limit=batch_size,
            )
            storage_delete_files_on_commit(names=[name for _pk, name, _message in rows])
            _tell_chats(message_ids={message_id for _pk, _name, message_id in rows})
        total += len(rows)
        if len(rows) < batch_size:
            return total


def _tell_chats(*, message_ids: set[int]) -> None:
    """Each chat whose files expired shows them expired (one query for the chats and their agents)."""
    if not message_ids:
        return
    chats = Message.objects.filter(pk__in=message_ids).values_list("chat_id", "chat__agent_id", "chat__initiator_id")
    for chat_id, agent_id, initiator_id in set(chats):
        live_chat("chat.changed", chat_id=chat_id, agents=[agent_id, initiator_id], files_expired=True)

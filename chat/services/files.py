"""Files: upload (size check before anything is stored), download check (410 Gone
after the configured hours), expiry and the storage side of purging old chats.

Storage is Django's default storage. Files are removed only after the database
change that retires them has committed (``transaction.on_commit``), so a rolled
back transaction never leaves a row pointing at a deleted file.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from chat.models import Attachment, Chat, ChatSettings, Message
from chat.services.errors import ChatError

logger = logging.getLogger(__name__)


class AttachmentGone(ChatError):
    """The download link is past its hours: the API answers 410 Gone."""

    def __init__(self, message=None, *, field=None, code="gone"):
        super().__init__(message or _("This file is no longer available."), field=field, code=code)


class FileTooLarge(ChatError):
    """A file over the card's limit (code "too_large"): the API answers 413 with ``limit_bytes``."""

    def __init__(self, *, limit_mb: int):
        self.limit_bytes = limit_mb * 1024 * 1024
        super().__init__(
            _("The file is too large: the limit is %(mb)s MB.") % {"mb": limit_mb}, field="file", code="too_large"
        )


# --- storage helpers -------------------------------------------------------


def storage_delete_files(*, names: Iterable[str]) -> int:
    """Remove files from storage now; missing files are fine (idempotent). Returns how many were asked."""
    count = 0
    for name in names:
        if not name:
            continue
        count += 1
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - storage trouble must not break the rule; logged
            logger.exception("could not delete %s from storage", name)
    return count


def storage_delete_files_on_commit(*, names: Iterable[str]) -> None:
    """Remove the files once the surrounding transaction has committed."""
    names = [n for n in names if n]
    if names:
        transaction.on_commit(lambda: storage_delete_files(names=names))


# --- upload ------------------------------------------------------------------


def attachment_create(
    *,
    uploaded_file,
    message_id: int | None = None,
    chat_id: int | None = None,
    sender: str = Message.Sender.CLIENT,
    author_id: int | None = None,
    body: str = "",
    now: datetime | None = None,
) -> Attachment:
    """Attach ``uploaded_file`` to an existing message (``message_id``) or to a new
    message posted in ``chat_id`` (through ``message_post``).

    Refused, with nothing stored and nothing written, when file transfer is off,
    when the file is empty or over the card's limit, or when the chat is closed.
    The download link is valid for the card's ``file_download_hours``.
    """
    if (message_id is None) == (chat_id is None):
        raise ChatError(_("Give either a message or a chat."), field="message", code="invalid")
    card = ChatSettings.load()
    if not card.file_upload_enabled:
        raise ChatError(_("File transfer is switched off."), field="file", code="disabled")
    if uploaded_file is None:
        raise ChatError(_("Choose a file."), field="file", code="required")
    size = getattr(uploaded_file, "size", None)
    if size is None:
        raise ChatError(_("The file could not be read."), field="file", code="invalid")
    if size <= 0:
        raise ChatError(_("The file is empty."), field="file", code="empty")
    if size > card.file_max_size_bytes:
        raise FileTooLarge(limit_mb=card.file_max_size_mb)
    now = now or timezone.now()
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "file")[:255] or "file"
    try:
        stored_name = get_valid_filename(original_name)[-100:]
    except SuspiciousFileOperation:  # "..", "" and the like
        stored_name = "file"
    stored: list[str] = []
    try:
        with transaction.atomic():
            if message_id is not None:
                message = Message.objects.select_related("chat").filter(pk=message_id).first()
                if message is None:
                    raise ChatError(_("This message does not exist."), field="message", code="not_found")
                if message.chat.status == Chat.Status.CLOSED:
                    raise ChatError(_("This chat is closed."), field="message", code="closed")
            else:
                from chat.services.messages import message_post

                message = message_post(chat_id=chat_id, sender=sender, body=body, author_id=author_id)
            attachment = Attachment(
                message=message,
                token=secrets.token_urlsafe(32),
                original_name=original_name,
                size=size,
                content_type=(getattr(uploaded_file, "content_type", "") or "")[:255],
                created_at=now,
                expires_at=now + timedelta(hours=card.file_download_hours),
            )
            attachment.file.save(stored_name, uploaded_file, save=False)
            stored.append(attachment.file.name)
            attachment.save(force_insert=True)
    except BaseException:
        # Nothing half-written: a file stored for a row that did not commit goes.
        storage_delete_files(names=stored)
        raise
    return attachment


# --- download ----------------------------------------------------------------


def attachment_download_check(*, attachment: Attachment, now: datetime | None = None) -> Attachment:
    """Raise ``AttachmentGone`` (code "gone", HTTP 410) when the link's hours are over."""
    now = now or timezone.now()
    if attachment.expired_at is not None or attachment.expires_at <= now or not attachment.file:
        raise AttachmentGone()
    return attachment


def attachment_for_download(*, token: str, now: datetime | None = None) -> Attachment:
    """The attachment behind a download link, checked: not found -> code "not_found", expired -> "gone"."""
    attachment = Attachment.objects.select_related("message").filter(token=token).first() if token else None
    if attachment is None:
        raise ChatError(_("This file does not exist."), field="token", code="not_found")
    return attachment_download_check(attachment=attachment, now=now)


# --- timed rule: expiry ------------------------------------------------------

_EXPIRE_SQL = f"""
WITH due AS (
    SELECT id, file FROM {Attachment._meta.db_table}
    WHERE expired_at IS NULL AND expires_at <= %s
    ORDER BY expires_at
    LIMIT %s
    FOR UPDATE SKIP LOCKED
)
UPDATE {Attachment._meta.db_table} a
SET expired_at = %s, file = ''
FROM due
WHERE a.id = due.id AND a.expired_at IS NULL
RETURNING a.id, due.file
"""


def attachments_expire(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Retire every attachment past its download hours: ``expired_at`` set, the
    stored name cleared, the file removed from storage after commit.

    One indexed query per batch (``attachment_due_idx``), a conditional update
    (``expired_at IS NULL``) and ``SKIP LOCKED``: two workers never retire the
    same file twice, a second run finds nothing.
    """
    now = now or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(_EXPIRE_SQL, [now, batch_size, now])
                    rows = cursor.fetchall()
            else:  # SQLite (embedded demo): same effect, one row at a time under its global write lock
                rows = []
                due = list(
                    Attachment.objects.filter(expired_at__isnull=True, expires_at__lte=now)
                    .order_by("expires_at")
                    .values_list("id", "file")[:batch_size]
                )
                for pk, name in due:
                    if Attachment.objects.filter(pk=pk, expired_at__isnull=True).update(expired_at=now, file=""):
                        rows.append((pk, name))
            storage_delete_files_on_commit(names=[name for _pk, name in rows])
        total += len(rows)
        if len(rows) < batch_size:
            return total

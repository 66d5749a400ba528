"""Files: upload (size check before anything is stored), download check (410 Gone
after the configured hours), expiry, the storage side of purging old chats, and the
sweep of orphan files.

Storage is Django's default storage; a file is stored at
``attachments/<YYYY>/<MM>/<DD>/<token>/<name>`` (``chat.models.chats.attachment_path``).
Files are removed only after the database change that retires them has committed
(``transaction.on_commit``), so a rolled back transaction never leaves a row
pointing at a deleted file; the file's token folder goes with it, and so do the
date folders above it once empty. A process that dies between the commit and the
delete leaves an orphan file, which ``orphan_files_delete`` (hourly) removes.
"""

from __future__ import annotations

import logging
import os
import posixpath
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

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

# The folder of every attachment in storage; nothing outside it is ever removed by this module.
ATTACHMENTS_DIR = "attachments"


def _in_attachments(name: str) -> bool:
    """``name`` is a clean storage path strictly inside ``attachments/`` (no "..", no absolute path)."""
    return (
        bool(name)
        and name.startswith(ATTACHMENTS_DIR + "/")
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )


def _folders_in_use(now: datetime) -> set[str]:
    """The date folders an upload may be creating or writing into right now, and their parents.

    ``attachment_path`` names the folder after the UTC date of the upload; yesterday's and tomorrow's are
    counted too (an upload that began just before midnight, a worker whose clock is a little ahead). An
    empty folder among these is left for a later run: removing it could race with an upload's ``makedirs``.
    """
    folders: set[str] = set()
    for day in (now - timedelta(days=1), now, now + timedelta(days=1)):
        day = day.astimezone(UTC)
        folders.update(
            [f"{ATTACHMENTS_DIR}/{day:%Y}", f"{ATTACHMENTS_DIR}/{day:%Y/%m}", f"{ATTACHMENTS_DIR}/{day:%Y/%m/%d}"]
        )
    return folders


def _storage_remove_folder(name: str) -> bool:
    """Remove the empty folder ``name`` of the storage; False when it is not empty, is gone, or the storage
    has no folders (an object store: a "folder" there vanishes with its last file)."""
    if not _in_attachments(name):
        return False
    try:
        path = default_storage.path(name)
    except NotImplementedError:
        return False
    try:
        os.rmdir(path)  # only ever removes an empty folder, atomically: safe beside other workers
    except OSError:
        return False
    return True


def _storage_remove_empty_parents(name: str, *, in_use: set[str]) -> None:
    """After the file ``name`` went: remove its token folder, then each date folder above it that is empty
    and not in use, up to (never including) ``attachments/``."""
    folder = posixpath.dirname(name)
    while _in_attachments(folder) and folder not in in_use and _storage_remove_folder(folder):
        folder = posixpath.dirname(folder)


def storage_delete_files(*, names: Iterable[str]) -> int:
    """Remove files from storage now, with their emptied folders; missing files are fine (idempotent).
    Returns how many were asked."""
    count = 0
    in_use = _folders_in_use(timezone.now())
    for name in names:
        if not name:
            continue
        count += 1
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - storage trouble must not break the rule; logged
            logger.exception("could not delete %s from storage", name)
            continue
        _storage_remove_empty_parents(name, in_use=in_use)
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


# --- timed rule: orphan files --------------------------------------------------

# How old a file with no attachment row must be before the sweep removes it. An upload stores its file
# (``attachment.file.save``) inside the transaction that then inserts the row, so for the length of that
# transaction a good file has no committed row; the transaction holds no user wait (the upload was received
# before it began) and ends in milliseconds, seconds under heavy load. One hour is far beyond any such
# transaction, and costs only an hour more of a dead file on disk. The file's age is its modification time.
ORPHAN_FILE_GRACE = timedelta(hours=1)


def _walk(folder: str) -> Iterator[tuple[str, str]]:
    """``("file", name)`` for every file under ``folder`` and ``("folder", name)`` for every folder below it
    after its content (post-order), through the storage API (``listdir``). A folder that vanishes while we
    walk (another worker) is skipped."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for sub in sorted(folders):
        yield from _walk(f"{folder}/{sub}")
        yield "folder", f"{folder}/{sub}"
    for file in sorted(files):
        yield "file", f"{folder}/{file}"


def _modified_before(name: str, cutoff: datetime) -> bool:
    try:
        return default_storage.get_modified_time(name) <= cutoff
    except (FileNotFoundError, NotImplementedError):
        return False


def _names_with_a_row(names: list[str]) -> set[str]:
    """Those of ``names`` that an Attachment row's ``file`` names. By the token in the path first (the unique
    index), then, for what that did not find, by the name itself (few: the orphans and odd names)."""
    tokens = {parts[4] for parts in (name.split("/") for name in names) if len(parts) == 6}
    found = set(Attachment.objects.filter(token__in=tokens).values_list("file", flat=True)) if tokens else set()
    rest = [name for name in names if name not in found]
    if rest:
        found.update(Attachment.objects.filter(file__in=rest).values_list("file", flat=True))
    return found & set(names)


def orphan_files_delete(
    *, now: datetime | None = None, grace: timedelta = ORPHAN_FILE_GRACE, batch_size: int = 500
) -> int:
    """Remove stored files under ``attachments/`` that no Attachment row names, once older than ``grace``,
    and the empty folders left there. Returns how many files it removed.

    Orphans come from a process that died between the commit that retired a file (expiry, purge) and the
    delete after it, or between storing an upload's file and its failed transaction's clean-up. The storage
    tree is walked with ``listdir``; each batch of files older than ``grace`` is checked against the
    attachment rows (one indexed query by token), and the orphans are deleted with their folders. An empty
    folder found on the way is removed unless it is a date folder an upload may be using now
    (``_folders_in_use``) or, inside one, younger than ``grace`` (an upload's token folder before its file).
    Running it twice finds nothing the second time; two workers at once are harmless (a file or folder the
    other removed first is no error, and a file with a row is never removed by either). The number returned
    counts the files it deleted, so two workers may both count a file they reached together.
    """
    now = now or timezone.now()
    cutoff = now - grace
    in_use = _folders_in_use(now)
    days_in_use = tuple(folder + "/" for folder in in_use if folder.count("/") == 3)  # attachments/Y/M/D
    removed = 0
    files: list[str] = []
    folders: list[str] = []

    def flush() -> None:
        nonlocal removed
        old = [name for name in files if _in_attachments(name) and _modified_before(name, cutoff)]
        orphans = sorted(set(old) - _names_with_a_row(old)) if old else []
        if orphans:
            logger.warning("removing %d orphan files from storage, e.g. %s", len(orphans), orphans[0])
            removed += storage_delete_files(names=orphans)
        for folder in folders:  # children before parents (post-order)
            if folder in in_use:
                continue
            if folder.startswith(days_in_use) and not _modified_before(folder, cutoff):
                continue
            _storage_remove_folder(folder)
        files.clear()
        folders.clear()

    for kind, name in _walk(ATTACHMENTS_DIR):
        (files if kind == "file" else folders).append(name)
        if len(files) >= batch_size:
            flush()
    flush()
    return removed

"""The storage side of attachments: files removed with their emptied folders, now or after commit.

A file is stored at ``attachments/<YYYY>/<MM>/<DD>/<token>/<name>`` (``chat.models.chats.attachment_path``).
Files are removed only after the database change that retires them has committed (``transaction.on_commit``),
so a rolled back transaction never leaves a row pointing at a deleted file; the file's token folder goes with
it, and so do the date folders above it once empty. A process that dies between the commit and the delete
leaves an orphan file, which the orphan-file rule (``rules/orphan_files.py``, hourly) removes.
"""

from __future__ import annotations

import logging
import os
import posixpath
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

# The folder of every attachment in storage; nothing outside it is ever removed by this module.
ATTACHMENTS_DIR = "attachments"


def in_attachments(name: str) -> bool:
    """``name`` is a clean storage path strictly inside ``attachments/`` (no "..", no absolute path)."""
    return (
        bool(name)
        and name.startswith(ATTACHMENTS_DIR + "/")
        and posixpath.normpath(name) == name
        and ".." not in name.split("/")
    )


def folders_in_use(now: datetime) -> set[str]:
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


def storage_remove_folder(name: str) -> bool:
    """Remove the empty folder ``name`` of the storage; False when it is not empty, is gone, or the storage
    has no folders (an object store: a "folder" there vanishes with its last file)."""
    if not in_attachments(name):
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
    while in_attachments(folder) and folder not in in_use and storage_remove_folder(folder):
        folder = posixpath.dirname(folder)


def storage_delete_files(*, names: Iterable[str]) -> int:
    """Remove files from storage now, with their emptied folders; missing files are fine (idempotent).
    Returns how many were asked."""
    count = 0
    in_use = folders_in_use(timezone.now())
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

"""Rule 6: files in storage that no attachment names are removed (a process died between a commit and its
delete), with the empty folders left there."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from django.core.files.storage import default_storage

from chat.models import Attachment

from ..storage import ATTACHMENTS_DIR, folders_in_use, in_attachments, storage_delete_files, storage_remove_folder
from .base import now_or

logger = logging.getLogger(__name__)

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
    now = now_or(now)
    cutoff = now - grace
    in_use = folders_in_use(now)
    days_in_use = tuple(folder + "/" for folder in in_use if folder.count("/") == 3)  # attachments/Y/M/D
    removed = 0
    files: list[str] = []
    folders: list[str] = []

    def flush() -> None:
        nonlocal removed
        old = [name for name in files if in_attachments(name) and _modified_before(name, cutoff)]
        orphans = sorted(set(old) - _names_with_a_row(old)) if old else []
        if orphans:
            logger.warning("removing %d orphan files from storage, e.g. %s", len(orphans), orphans[0])
            removed += storage_delete_files(names=orphans)
        for folder in folders:  # children before parents (post-order)
            if folder in in_use:
                continue
            if folder.startswith(days_in_use) and not _modified_before(folder, cutoff):
                continue
            storage_remove_folder(folder)
        files.clear()
        folders.clear()

    for kind, name in _walk(ATTACHMENTS_DIR):
        (files if kind == "file" else folders).append(name)
        if len(files) >= batch_size:
            flush()
    flush()
    return removed

"""Files leave no trace (issue 11, point 9): the hourly sweep removes stored files that no attachment row
names, once they are older than the grace period, and the empty folders; a file with a row is never touched."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chat.models import Attachment
from chat.services.files import attachment_create
from chat.services.rules import ORPHAN_FILE_GRACE, attachments_expire, orphan_files_delete
from tests import factories

from .conftest import T0

pytestmark = pytest.mark.django_db

TODAY = f"attachments/{T0:%Y/%m/%d}"  # the folder uploads at the frozen clock go to


def media(settings) -> Path:
    return Path(settings.MEDIA_ROOT)


def leave_file(name: str, *, at) -> Path:
    """A file a process stored and then died before its row committed (or after the row went, before the
    delete): in storage, with no attachment row, last written at ``at``."""
    stored = default_storage.save(name, ContentFile(b"left behind"))
    assert stored == name
    path = Path(default_storage.path(name))
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def age(path: Path, *, at) -> None:
    os.utime(path, (at.timestamp(), at.timestamp()))


def everything_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


@pytest.fixture
def message(make_chat):
    return factories.MessageFactory(chat=make_chat())


def test_the_grace_period_is_an_hour():
    assert timedelta(hours=1) == ORPHAN_FILE_GRACE


def test_a_file_left_by_a_crash_is_removed_only_after_the_grace_period(clock, settings):
    path = leave_file(f"{TODAY}/tok-crash/offer.pdf", at=clock())
    clock(hours=1, seconds=-1)
    assert orphan_files_delete() == 0
    assert path.exists()
    clock(hours=1)
    assert orphan_files_delete() == 1
    assert not path.exists()
    assert not path.parent.exists()  # its token folder went with it
    # Today's date folder stays while an upload may be writing into it ...
    year, month = f"attachments/{T0:%Y}", f"attachments/{T0:%Y/%m}"
    assert everything_under(media(settings)) == ["attachments", year, month, TODAY]
    # ... and goes, empty, once its day is over (the month's and the year's folders once theirs are).
    clock(days=2)
    assert orphan_files_delete() == 0
    assert everything_under(media(settings)) == ["attachments", year, month]


def test_an_old_orphan_is_removed_with_every_empty_folder_above_it(clock, settings):
    path = leave_file("attachments/2025/12/24/tok-old/gift.png", at=clock(days=-60))
    clock()
    assert orphan_files_delete() == 1
    assert not path.exists()
    assert everything_under(media(settings)) == ["attachments"]


def test_a_file_with_a_row_is_never_touched(clock, card, message, settings):
    card(file_download_hours=1)
    uploaded = attachment_create(uploaded_file=ContentFile(b"%PDF", name="offer.pdf"), message_id=message.pk)
    # A row whose stored name does not follow the token layout (found by its name, not by its token).
    odd = Attachment.objects.create(message=message, token="odd", original_name="x.txt", size=1,
                                    file="attachments/imported/x.txt", expires_at=clock(hours=1))
    leave_file(odd.file.name, at=clock())
    for later in (timedelta(hours=2), timedelta(days=400)):  # past the grace and the hours (the rule did not run)
        when = clock(seconds=later.total_seconds())
        age(Path(default_storage.path(uploaded.file.name)), at=when - timedelta(days=30))
        age(Path(default_storage.path(odd.file.name)), at=when - timedelta(days=30))
        assert orphan_files_delete() == 0
    assert default_storage.exists(uploaded.file.name)
    assert default_storage.exists(odd.file.name)


def test_a_crash_between_the_expiry_commit_and_the_delete_leaves_an_orphan_that_the_sweep_removes(
    clock, message, settings, django_capture_on_commit_callbacks
):
    attachment = attachment_create(uploaded_file=ContentFile(b"%PDF", name="offer.pdf"), message_id=message.pk)
    path = Path(default_storage.path(attachment.file.name))
    age(path, at=clock())
    clock(days=1)
    with django_capture_on_commit_callbacks(execute=False):  # the worker died right after the commit
        assert attachments_expire() == 1
    assert path.exists()
    clock(days=1, hours=1)
    assert orphan_files_delete() == 1
    assert not path.exists()
    assert not path.parent.exists()


def test_an_empty_token_folder_of_an_upload_in_progress_is_left_alone(clock, settings):
    """An upload creates its token folder, then writes the file: a fresh empty folder is not removed."""
    fresh = media(settings) / TODAY / "tok-uploading"
    fresh.mkdir(parents=True)
    age(fresh, at=clock())
    assert orphan_files_delete() == 0
    assert fresh.exists()
    clock(hours=1)
    orphan_files_delete()
    assert not fresh.exists()


def test_the_sweep_leaves_nothing_outside_the_attachments_folder(clock, settings):
    other = Path(default_storage.path(default_storage.save("exports/report.csv", ContentFile(b"a;b"))))
    age(other, at=clock(days=-30))
    (media(settings) / "empty-elsewhere").mkdir()
    assert orphan_files_delete() == 0
    assert other.exists()
    assert (media(settings) / "empty-elsewhere").exists()


def test_running_the_sweep_twice_removes_nothing_the_second_time(clock, settings):
    for i in range(5):
        leave_file(f"attachments/2025/01/0{i + 1}/tok-{i}/f.txt", at=clock(days=-30))
    clock()
    assert orphan_files_delete(batch_size=2) == 5
    assert orphan_files_delete() == 0
    assert everything_under(media(settings)) == ["attachments"]


def test_the_sweep_with_no_attachments_folder_does_nothing(clock, settings):
    assert not (media(settings) / "attachments").exists()
    assert orphan_files_delete() == 0

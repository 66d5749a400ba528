"""Files (parameter 14): the size limit before anything is stored, the download hours, expiry."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chat.models import Attachment, Chat
from chat.services.errors import ChatError
from chat.services.files import (
    AttachmentGone,
    attachment_create,
    attachment_download_check,
    attachment_for_download,
)
from chat.services.rules import attachments_expire
from tests import factories

from .conftest import T0, reload

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture
def message(make_chat):
    return factories.MessageFactory(chat=make_chat())


def upload(message, data: bytes, name="report.pdf") -> Attachment:
    return attachment_create(uploaded_file=ContentFile(data, name=name), message_id=message.pk)


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def download(token: str) -> bytes:
    """What the download view does: the service decides, then the file is read."""
    attachment = attachment_for_download(token=token)
    with attachment.file.open("rb") as fh:
        return fh.read()


def test_file_at_the_size_limit_is_stored(clock, card, message):
    card(file_max_size_mb=1)
    attachment = upload(message, b"x" * MB)
    assert attachment.size == MB
    assert default_storage.exists(attachment.file.name)


def test_file_over_the_size_limit_is_refused_and_nothing_is_stored(clock, card, message, settings):
    card(file_max_size_mb=1)
    with pytest.raises(ChatError) as refused:
        upload(message, b"x" * (MB + 1))
    assert (refused.value.field, refused.value.code) == ("file", "too_large")
    assert "1 MB" in str(refused.value)
    assert not Attachment.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_upload_is_refused_when_file_transfer_is_off(clock, card, message, settings):
    card(file_upload_enabled=False)
    with pytest.raises(ChatError) as refused:
        upload(message, b"abc")
    assert refused.value.code == "disabled"
    assert stored_files(settings.MEDIA_ROOT) == []


def test_upload_to_a_closed_chat_is_refused_and_nothing_is_stored(clock, message, settings):
    Chat.objects.filter(pk=message.chat_id).update(status=Chat.Status.CLOSED, closed_at=clock())
    with pytest.raises(ChatError) as refused:
        upload(message, b"abc")
    assert refused.value.code == "closed"
    assert stored_files(settings.MEDIA_ROOT) == []


def test_download_link_is_valid_for_the_configured_hours(clock, card, message):
    card(file_download_hours=2)
    attachment = upload(message, b"hello")
    assert attachment.expires_at == clock(hours=2)
    clock(hours=2, seconds=-1)
    assert download(attachment.token) == b"hello"


def test_download_after_the_hours_answers_gone(clock, card, message):
    card(file_download_hours=2)
    attachment = upload(message, b"hello")
    clock(hours=2)
    with pytest.raises(AttachmentGone) as gone:
        download(attachment.token)
    assert gone.value.code == "gone"


def test_unknown_download_token_is_not_found(db):
    with pytest.raises(ChatError) as missing:
        attachment_for_download(token="nope")
    assert missing.value.code == "not_found"


def test_attachment_one_second_before_its_end_is_not_expired(clock, card, message):
    card(file_download_hours=24)
    attachment = upload(message, b"hello")
    clock(hours=24, seconds=-1)
    assert attachments_expire() == 0
    assert default_storage.exists(attachment.file.name)
    assert reload(attachment).expired_at is None


def test_expired_attachment_is_removed_from_storage_and_marked(
    clock, card, message, django_capture_on_commit_callbacks
):
    card(file_download_hours=24)
    attachment = upload(message, b"hello")
    name = attachment.file.name
    expired_at = clock(hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_expire() == 1
    assert not default_storage.exists(name)
    attachment = reload(attachment)
    assert (attachment.expired_at, attachment.file.name, attachment.original_name) == (expired_at, "", "report.pdf")
    with pytest.raises(AttachmentGone):
        attachment_download_check(attachment=attachment)


def test_file_is_removed_only_after_the_expiry_commits(clock, message, django_capture_on_commit_callbacks):
    attachment = upload(message, b"hello")
    clock(days=2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        attachments_expire()
    assert default_storage.exists(attachment.file.name)
    assert len(callbacks) == 2  # the file's removal and the chat's live event
    for callback in callbacks:
        callback()
    assert not default_storage.exists(attachment.file.name)


def test_expiring_twice_changes_nothing_the_second_time(clock, message, django_capture_on_commit_callbacks):
    attachment = upload(message, b"hello")
    first = clock(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_expire() == 1
    clock(days=3)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert attachments_expire() == 0
    assert callbacks == []
    assert reload(attachment).expired_at == first


def test_expiry_works_in_batches(clock, message, django_capture_on_commit_callbacks):
    for i in range(5):
        upload(message, b"hello", name=f"f{i}.txt")
    clock(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_expire(batch_size=2) == 5
    assert not Attachment.objects.filter(expired_at__isnull=True).exists()


def test_a_changed_download_time_applies_to_new_uploads(clock, card, message):
    card(file_download_hours=1)
    first = upload(message, b"a")
    card(file_download_hours=48)
    second = upload(message, b"b")
    assert (first.expires_at, second.expires_at) == (clock(hours=1), clock(hours=48))


def test_upload_with_a_chat_posts_the_message_and_attaches_the_file(clock, make_chat):
    chat = make_chat()
    attachment = attachment_create(
        uploaded_file=ContentFile(b"%PDF", name="../../etc/invoice.pdf"), chat_id=chat.pk, sender="client"
    )
    message = attachment.message
    assert (message.chat_id, message.sender) == (chat.pk, "client")
    assert attachment.original_name == "invoice.pdf"
    assert ".." not in attachment.file.name
    assert reload(chat).last_client_message_at == clock()


def test_upload_with_a_chat_over_the_limit_posts_no_message(clock, card, make_chat):
    card(file_max_size_mb=1)
    chat = make_chat()
    with pytest.raises(ChatError):
        attachment_create(uploaded_file=ContentFile(b"x" * (MB + 1), name="big.bin"), chat_id=chat.pk)
    assert not chat.messages.exists()


def test_a_file_named_dot_dot_is_stored_under_a_safe_name(clock, message):
    attachment = upload(message, b"abc", name="..")
    assert attachment.file.name.endswith("/file")
    assert default_storage.exists(attachment.file.name)


def folders(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_dir()) if root.exists() else []


def test_expiry_leaves_no_empty_token_folder(clock, card, message, settings, django_capture_on_commit_callbacks):
    """Issue 11, point 9: the file's folder goes with the file; today's and yesterday's date folders stay
    for uploads that may be writing into them."""
    card(file_download_hours=24)
    attachment = upload(message, b"hello")
    token_folder = f"attachments/{clock():%Y/%m/%d}/{attachment.token}"
    assert token_folder in folders(settings.MEDIA_ROOT)
    clock(hours=24)
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_expire() == 1
    assert folders(settings.MEDIA_ROOT) == ["attachments", *date_folders(T0)]


def test_expiry_removes_the_date_folders_it_empties_once_their_day_is_over(
    clock, card, message, settings, django_capture_on_commit_callbacks
):
    card(file_download_hours=24 * 40)
    upload(message, b"hello")
    later = clock(days=40)
    with django_capture_on_commit_callbacks(execute=True):
        assert attachments_expire() == 1
    assert stored_files(settings.MEDIA_ROOT) == []
    assert folders(settings.MEDIA_ROOT) == ["attachments", f"attachments/{later:%Y}"]  # the current year's


def date_folders(day) -> list[str]:
    return [f"attachments/{day:%Y}", f"attachments/{day:%Y/%m}", f"attachments/{day:%Y/%m/%d}"]

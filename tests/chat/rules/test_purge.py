"""Deleting old chats (parameter 12): 0 = off, X days after closing, open chats never."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from chat.models import Attachment, Chat, ChatEvent, Message, NoReplyExclusion
from chat.services.files import attachment_create
from chat.services.rules import chats_purge_closed
from tests import factories

pytestmark = pytest.mark.django_db(transaction=False)

DAYS = 30


@pytest.fixture
def closed_chat(clock, make_chat, agent_factory):
    """A chat closed at T0 with a message, a file, events and an exclusion."""
    agent = agent_factory()
    chat = make_chat(status=Chat.Status.CLOSED, closed_at=clock(), close_reason="agent", agent=agent)
    message = factories.MessageFactory(chat=chat)
    attachment = Attachment.objects.create(
        message=message, token="t-" + str(chat.pk), original_name="a.txt", size=3, expires_at=clock(days=1)
    )
    attachment.file.save("a.txt", ContentFile(b"abc"))
    clock()
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.CLOSED, reason="agent")
    NoReplyExclusion.objects.create(chat=chat, agent=agent)
    return chat, attachment.file.name


def test_zero_days_deletes_nothing(clock, card, closed_chat):
    card(delete_chats_after_days=0)
    clock(days=3650)
    assert chats_purge_closed() == 0
    assert Chat.objects.filter(pk=closed_chat[0].pk).exists()


def test_chat_closed_one_second_less_than_x_days_ago_is_kept(clock, card, closed_chat):
    card(delete_chats_after_days=DAYS)
    clock(days=DAYS, seconds=-1)
    assert chats_purge_closed() == 0
    assert Chat.objects.filter(pk=closed_chat[0].pk).exists()


def test_chat_closed_x_days_ago_is_deleted_with_messages_events_and_attachments(clock, card, closed_chat):
    card(delete_chats_after_days=DAYS)
    chat, _name = closed_chat
    clock(days=DAYS)
    assert chats_purge_closed() == 1
    assert not Chat.objects.filter(pk=chat.pk).exists()
    assert not Message.objects.filter(chat_id=chat.pk).exists()
    assert not ChatEvent.objects.filter(chat_id=chat.pk).exists()
    assert not NoReplyExclusion.objects.filter(chat_id=chat.pk).exists()
    assert not Attachment.objects.filter(message__chat_id=chat.pk).exists()


def test_purged_chats_files_are_removed_from_storage_after_commit(
    clock, card, closed_chat, django_capture_on_commit_callbacks
):
    card(delete_chats_after_days=DAYS)
    _chat, name = closed_chat
    assert default_storage.exists(name)
    clock(days=DAYS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        chats_purge_closed()
    assert default_storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not default_storage.exists(name)


def test_open_chats_are_never_deleted(clock, card, make_chat, agent_factory):
    card(delete_chats_after_days=1)
    waiting = make_chat()
    assigned = make_chat(status=Chat.Status.ASSIGNED, agent=agent_factory())
    clock(days=400)
    assert chats_purge_closed() == 0
    assert Chat.objects.filter(pk__in=[waiting.pk, assigned.pk]).count() == 2


def test_running_twice_deletes_once(clock, card, closed_chat):
    card(delete_chats_after_days=DAYS)
    clock(days=DAYS)
    assert chats_purge_closed() == 1
    assert chats_purge_closed() == 0


def test_purge_works_in_batches(clock, card, make_chat):
    card(delete_chats_after_days=1)
    for _ in range(5):
        make_chat(status=Chat.Status.CLOSED, closed_at=clock())
    clock(days=2)
    assert chats_purge_closed(batch_size=2) == 5
    assert not Chat.objects.exists()


def test_a_changed_setting_acts_at_the_next_run(clock, card, closed_chat):
    card(delete_chats_after_days=DAYS)
    clock(days=10)
    assert chats_purge_closed() == 0
    card(delete_chats_after_days=7)
    assert chats_purge_closed() == 1


def test_uploaded_file_of_a_purged_chat_is_gone_from_storage(
    clock, card, make_chat, django_capture_on_commit_callbacks
):
    chat = make_chat()
    with django_capture_on_commit_callbacks(execute=True):
        attachment = attachment_create(
            uploaded_file=ContentFile(b"hello", name="hello.txt"),
            message_id=factories.MessageFactory(chat=chat).pk,
        )
    Chat.objects.filter(pk=chat.pk).update(status=Chat.Status.CLOSED, closed_at=clock())
    card(delete_chats_after_days=1)
    clock(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert chats_purge_closed() == 1
    assert not default_storage.exists(attachment.file.name)


def test_purge_leaves_no_empty_folder_behind(clock, card, closed_chat, settings, django_capture_on_commit_callbacks):
    """Issue 11, point 9: the purged files' token folders go, and the date folders they emptied."""
    card(delete_chats_after_days=DAYS)
    _chat, name = closed_chat
    assert name.startswith("attachments/2026/03/03/")
    clock(days=DAYS)  # 2026-04-01: the folders of 2026/03/31 … 2026/04/02 may be in use by uploads
    with django_capture_on_commit_callbacks(execute=True):
        assert chats_purge_closed() == 1
    root = Path(settings.MEDIA_ROOT)
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == [
        "attachments", "attachments/2026", "attachments/2026/03"
    ]

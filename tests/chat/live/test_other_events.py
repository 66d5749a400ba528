"""The other changes a page shows publish after commit too: the timed rules' bulk updates (one event per chat),
files, Messenger delivery states, presence, the card and queue membership. Typing moves no version."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from agents.models import PauseType
from agents.services import pause_type_create, presence_pause, presence_resume
from chat.messenger.outbox import message_delivery_retry, messenger_outbox_sweep
from chat.models import Chat, Message
from chat.services.chats import chat_assign
from chat.services.files import attachment_create
from chat.services.live import LiveEvent, live_publish
from chat.services.live.versions import agent_key, chat_key, queue_key, versions_get, versions_peek
from chat.services.queues import queue_member_set
from chat.services.rules import attachments_expire, chats_close_inactive, chats_stop_auto_assign
from chat.services.rules.transfer_unanswered import chats_transfer_unanswered
from chat.services.settings import chat_settings_update
from tests import factories
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


def assigned_chat(queue, agent, **fields) -> Chat:
    chat = waiting_chat(queue, **fields)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    return chat


def test_the_inactivity_rule_publishes_one_closed_event_per_chat(published, committed, queue, agent_factory):
    anna = agent_factory(queue=queue)
    long_ago = timezone.now() - timedelta(hours=2)
    first = assigned_chat(queue, anna, page_closed_at=long_ago, minutes_ago=120)
    second = waiting_chat(queue, page_closed_at=long_ago, minutes_ago=120)
    with committed():
        assert chats_close_inactive() == 2

    closed = {event.chat_id: event for event in published.of("chat.closed")}
    assert (closed[first.pk].agent_ids, closed[first.pk].queue_ids) == ((anna.pk,), ())
    assert (closed[second.pk].agent_ids, closed[second.pk].queue_ids) == ((), (queue.pk,))
    assert all(Message.objects.filter(pk=e.data["message_id"], sender="system").exists() for e in closed.values())


def test_the_no_reply_rule_requeues_and_pauses_the_silent_agent(published, committed, queue, agent_factory):
    set_card(no_reply_transfer_after=60, no_reply_pause_type=PauseType.objects.first())
    anna = agent_factory(queue=queue)
    chat = assigned_chat(queue, anna)
    Chat.objects.filter(pk=chat.pk).update(
        awaiting_reply_since=timezone.now() - timedelta(minutes=5), assigned_at=timezone.now() - timedelta(minutes=5)
    )
    with committed():
        assert chats_transfer_unanswered() == 1

    event = published.of("chat.queued")[0]
    assert (event.chat_id, event.agent_ids, event.queue_ids, event.data) == (
        chat.pk,
        (anna.pk,),
        (queue.pk,),
        {"reason": "no_reply"},
    )
    assert published.one("presence.changed").agent_ids == (anna.pk,)


def test_stopping_automatic_assignment_changes_the_queue_s_list(published, committed, queue):
    chat = waiting_chat(queue, minutes_ago=25 * 60)
    with committed():
        assert chats_stop_auto_assign() == 1

    event = published.one("chat.changed")
    assert (event.chat_id, event.queue_ids) == (chat.pk, (queue.pk,))


def test_a_file_attached_and_expired_changes_the_chat(published, committed, queue, agent_factory, time_machine):
    anna = agent_factory(queue=queue)
    chat = assigned_chat(queue, anna)
    with committed():
        attachment = attachment_create(uploaded_file=ContentFile(b"pdf", name="a.pdf"), chat_id=chat.pk)
    assert published.one("chat.message").data["message_id"] == attachment.message_id

    with committed():
        attachment_create(uploaded_file=ContentFile(b"pdf", name="b.pdf"), message_id=attachment.message_id)
    assert published.one("chat.changed").data["message_id"] == attachment.message_id

    time_machine.move_to(timezone.now() + timedelta(hours=25))
    with committed():
        assert attachments_expire() == 2
    expired = published.of("chat.changed")[1:]
    assert [(e.chat_id, e.agent_ids, e.data) for e in expired] == [(chat.pk, (anna.pk,), {"files_expired": True})]


def test_a_messenger_reply_s_delivery_state_changes_the_chat(published, committed, queue, agent_factory):
    anna = agent_factory(queue=queue)
    chat = assigned_chat(queue, anna, channel="messenger", visitor_messenger_id="psid-1")
    failed = factories.MessageFactory(chat=chat, sender="agent", author=anna, delivery_status="failed")
    stopped = factories.MessageFactory(
        chat=chat,
        sender="agent",
        author=anna,
        delivery_status="sending",
        delivery_claimed_at=timezone.now() - timedelta(hours=1),
    )
    with committed():
        message_delivery_retry(message_id=failed.pk, actor=anna)
    with committed():
        messenger_outbox_sweep()

    states = [(e.chat_id, e.agent_ids, e.data["message_id"], e.data["delivery_status"]) for e in published]
    assert (chat.pk, (anna.pk,), failed.pk, "pending") in states
    assert (chat.pk, (anna.pk,), stopped.pk, "unknown") in states


def test_presence_changes_are_published_for_the_agent(published, committed, agent_factory):
    anna = agent_factory()
    with committed():
        presence_pause(agent_id=anna.pk, pause_type_id=PauseType.objects.first().pk)
    with committed():
        presence_resume(agent_id=anna.pk)

    assert [event.agent_ids for event in published.of("presence.changed")] == [(anna.pk,), (anna.pk,)]


def test_the_card_pause_types_and_membership_changes_are_published(published, committed, queue, agent_factory):
    anna = agent_factory()
    with committed():
        chat_settings_update(max_concurrent_chats=4)
    with committed():
        pause_type_create(name="Training")
    with committed():
        queue_member_set(queue_id=queue.pk, agent_id=anna.pk, priority=3)

    assert len(published.of("settings.changed")) == 2
    event = published.one("queue.changed")
    assert (event.agent_ids, event.queue_ids) == ((anna.pk,), (queue.pk,))


def test_an_event_moves_the_versions_of_what_it_names_and_typing_moves_none(db):
    keys = [chat_key(7), agent_key(3), queue_key(2)]
    before = versions_get(keys)

    live_publish(LiveEvent(kind="typing", chat_id=7, agent_ids=(3,), queue_ids=(2,)))
    assert versions_peek(keys) == before

    live_publish(LiveEvent(kind="chat.message", chat_id=7, agent_ids=(3,)))
    after = versions_peek(keys)
    assert (after[chat_key(7)], after[agent_key(3)], after[queue_key(2)]) == (
        before[chat_key(7)] + 1,
        before[agent_key(3)] + 1,
        before[queue_key(2)],
    )


def test_a_missing_version_starts_again_where_no_page_can_hold_it(db):
    live_publish(LiveEvent(kind="chat.changed", chat_id=8))
    started = versions_peek([chat_key(8)])[chat_key(8)]
    assert started is not None and started > 1000  # random, not 1: an evicted counter never comes back to a page's

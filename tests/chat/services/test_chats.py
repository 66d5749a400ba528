"""The chat's life: start, close, mark read; bad input changes nothing (the handover: test_chats_handover.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_close, chat_mark_read, chat_start, chat_transfer
from chat.services.dispatch import dispatch
from chat.services.errors import ChatError
from tests import factories
from tests.chat.routing.helpers import set_card, waiting_chat
from tests.chat.services.chat_helpers import kinds, open_chats

pytestmark = pytest.mark.django_db




# --- start -----------------------------------------------------------------


def test_website_chat_starts_waiting_in_its_queue(queue):
    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Ann", visitor_key="k1")

    assert chat.status == "waiting"
    assert chat.queue == queue
    assert chat.queued_at is not None
    assert chat.created is True
    assert kinds(chat) == ["started", "queued"]


def test_second_start_with_the_same_visitor_key_returns_the_open_chat(queue):
    first = chat_start(channel="website", queue_id=queue.pk, visitor_key="same")

    again = chat_start(channel="website", queue_id=queue.pk, visitor_key="same")

    assert again.pk == first.pk
    assert again.created is False
    assert Chat.objects.count() == 1


def test_visitor_key_of_a_closed_chat_starts_a_new_chat(queue):
    first = chat_start(channel="website", queue_id=queue.pk, visitor_key="again")
    chat_close(chat_id=first.pk, reason="client")

    second = chat_start(channel="website", queue_id=queue.pk, visitor_key="again")

    assert second.pk != first.pk


def test_messenger_chat_with_the_same_sender_returns_the_open_chat(queue):
    first = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid-1")

    assert chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid-1").pk == first.pk


def test_messenger_chat_needs_the_sender_id(queue):
    with pytest.raises(ChatError) as error:
        chat_start(channel="messenger", queue_id=queue.pk)

    assert error.value.field == "visitor_messenger_id"
    assert Chat.objects.count() == 0


def test_start_without_a_queue_uses_the_first_active_queue(queue):
    chat = chat_start(channel="website")

    assert chat.queue == queue


def test_start_in_an_unknown_queue_is_refused(queue):
    with pytest.raises(ChatError) as error:
        chat_start(channel="website", queue_id=999999)

    assert (error.value.field, error.value.code) == ("queue", "unknown_queue")
    assert Chat.objects.count() == 0


def test_start_with_an_invalid_email_is_refused(queue):
    with pytest.raises(ChatError) as error:
        chat_start(channel="website", queue_id=queue.pk, visitor_email="not-an-email")

    assert error.value.field == "visitor_email"
    assert Chat.objects.count() == 0


def test_start_with_an_unknown_channel_is_refused(queue):
    with pytest.raises(ChatError) as error:
        chat_start(channel="fax", queue_id=queue.pk)

    assert error.value.field == "channel"


def test_internal_chat_is_assigned_to_the_peer_without_queue_or_slot(agent_factory):
    me, colleague = agent_factory(), agent_factory()

    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    assert (chat.status, chat.agent, chat.initiator, chat.queue) == ("assigned", colleague, me, None)
    assert open_chats(colleague) == 0


def test_a_second_internal_chat_with_the_same_colleague_opens_the_open_one(agent_factory):
    me, colleague = agent_factory(username="me"), agent_factory(username="colleague")
    first = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)
    again = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)
    back = chat_start(channel="internal", initiator_id=colleague.pk, peer_id=me.pk)  # he starts it: the same one
    assert again.pk == back.pk == first.pk and again.created is False
    assert Chat.objects.filter(channel="internal").count() == 1
    chat_close(chat_id=first.pk, reason=Chat.CloseReason.AGENT, actor=me)
    new = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)  # closed: a new one
    assert new.pk != first.pk and new.created is True


def test_internal_chat_with_oneself_is_refused(agent_factory):
    me = agent_factory()

    with pytest.raises(ChatError) as error:
        chat_start(channel="internal", initiator_id=me.pk, peer_id=me.pk)

    assert error.value.field == "peer"


# --- close -----------------------------------------------------------------------


def test_close_frees_the_slot_and_adds_a_system_message(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    chat = chat_close(chat_id=chat.pk, reason="agent", actor=agent)

    assert (chat.status, chat.close_reason) == ("closed", "agent")
    assert chat.closed_at is not None
    assert open_chats(agent) == 0
    assert Message.objects.filter(chat=chat, sender="system").count() == 1
    assert ChatEvent.objects.get(chat=chat, kind="closed").reason == "agent"


def test_closing_a_closed_chat_is_refused_and_writes_nothing_more(queue):
    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="client")

    with pytest.raises(ChatError) as error:
        chat_close(chat_id=chat.pk, reason="agent")

    assert error.value.code == "closed"
    assert ChatEvent.objects.filter(chat=chat, kind="closed").count() == 1
    assert Chat.objects.get(pk=chat.pk).close_reason == "client"


def test_close_with_an_unknown_reason_is_refused(queue):
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as error:
        chat_close(chat_id=chat.pk, reason="bored")

    assert error.value.field == "reason"
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_closing_an_internal_chat_frees_no_slot(agent_factory):
    me, colleague = agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    chat_close(chat_id=chat.pk, reason="agent")

    assert open_chats(colleague) == 0


def test_closing_frees_a_slot_that_dispatch_then_fills(agent_factory, queue):
    agent = agent_factory(queue=queue)
    set_card(max_concurrent_chats=1)
    first = waiting_chat(queue, minutes_ago=10)
    second = waiting_chat(queue, minutes_ago=5)
    dispatch()

    chat_close(chat_id=first.pk, reason="agent")
    dispatch()

    assert Chat.objects.get(pk=second.pk).agent == agent


# --- mark read ---------------------------------------------------------------------


def test_mark_read_stamps_the_agents_read_time(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    chat_mark_read(chat_id=chat.pk, agent_id=agent.pk)

    assert Chat.objects.get(pk=chat.pk).agent_read_at is not None


def test_mark_read_by_someone_elses_agent_is_refused(agent_factory, queue):
    agent, stranger = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    with pytest.raises(ChatError) as error:
        chat_mark_read(chat_id=chat.pk, agent_id=stranger.pk)

    assert error.value.code == "not_participant"


def test_assignment_keeps_an_unanswered_client_message_and_resets_the_reply(agent_factory, queue):
    agent = agent_factory()
    since = timezone.now() - timedelta(minutes=3)
    chat = waiting_chat(queue, awaiting_reply_since=since, agent_replied_at=timezone.now())

    chat = chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert chat.awaiting_reply_since == since
    assert chat.agent_replied_at is None


def test_a_colleague_who_gets_a_transferred_chat_sees_its_messages_as_unread(agent_factory, queue):
    first, colleague = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)
    factories.MessageFactory(chat=chat, sender=Message.Sender.CLIENT)
    chat_mark_read(chat_id=chat.pk, agent_id=first.pk)

    chat_transfer(chat_id=chat.pk, to_agent_id=colleague.pk)

    assert Chat.objects.get(pk=chat.pk).agent_read_at is None


def test_the_closing_message_is_stored_in_the_sites_language_whoever_closes(agent_factory, queue, settings):
    settings.LANGUAGE_CODE = "pl"
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    with translation.override("en"):  # an English-speaking agent closes it
        chat_close(chat_id=chat.pk, reason="agent")

    closing = Message.objects.get(chat=chat, sender=Message.Sender.SYSTEM)
    assert closing.body == "Rozmowa została zamknięta."

"""message_post: the clocks a message moves, duplicates, closed chats."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Chat, Message
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.errors import ChatError
from chat.services.messages import message_post
from tests import factories
from tests.chat.routing.helpers import waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


@pytest.fixture
def assigned(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    return Chat.objects.get(pk=chat.pk)


def test_client_message_starts_the_reply_clock_and_clears_page_closed(queue):
    chat = waiting_chat(queue, page_closed_at=timezone.now())

    message = message_post(chat_id=chat.pk, sender="client", body="Hello")

    chat.refresh_from_db()
    assert message.created is True
    assert chat.awaiting_reply_since == message.created_at
    assert chat.last_client_message_at == message.created_at
    assert chat.last_message_at == message.created_at
    assert chat.page_closed_at is None


def test_second_client_message_keeps_the_first_unanswered_time(queue):
    chat = waiting_chat(queue)
    first = message_post(chat_id=chat.pk, sender="client", body="Hello")

    message_post(chat_id=chat.pk, sender="client", body="Anyone?")

    assert Chat.objects.get(pk=chat.pk).awaiting_reply_since == first.created_at


def test_assigned_agents_message_clears_the_reply_clock(assigned):
    message_post(chat_id=assigned.pk, sender="client", body="Hello")

    reply = message_post(chat_id=assigned.pk, sender="agent", body="Hi!", author_id=assigned.agent_id)

    chat = Chat.objects.get(pk=assigned.pk)
    assert chat.awaiting_reply_since is None
    assert chat.agent_replied_at == reply.created_at


def test_another_agents_message_does_not_count_as_the_reply(assigned, agent_factory):
    message_post(chat_id=assigned.pk, sender="client", body="Hello")

    message_post(chat_id=assigned.pk, sender="agent", body="Supervisor here", author_id=agent_factory().pk)

    assert Chat.objects.get(pk=assigned.pk).awaiting_reply_since is not None


def test_system_message_changes_no_clock(assigned):
    before = Chat.objects.get(pk=assigned.pk)

    message_post(chat_id=assigned.pk, sender="system", body="Note")

    after = Chat.objects.get(pk=assigned.pk)
    assert (after.last_message_at, after.last_client_message_at, after.awaiting_reply_since, after.status) == (
        before.last_message_at, before.last_client_message_at, before.awaiting_reply_since, before.status)


def test_message_on_a_closed_chat_is_refused(queue):
    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="client")

    with pytest.raises(ChatError) as error:
        message_post(chat_id=chat.pk, sender="client", body="Still there?")

    assert error.value.code == "closed"
    assert not Message.objects.filter(chat=chat, sender="client").exists()


def test_system_message_never_reopens_a_closed_chat(queue):
    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="client")

    with pytest.raises(ChatError):
        message_post(chat_id=chat.pk, sender="system", body="Welcome")

    assert Chat.objects.get(pk=chat.pk).status == "closed"


def test_same_external_id_stores_one_message(queue):
    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid")
    first = message_post(chat_id=chat.pk, sender="client", body="Hi", external_id="mid.1")

    again = message_post(chat_id=chat.pk, sender="client", body="Hi", external_id="mid.1")

    assert again.pk == first.pk
    assert again.created is False
    assert Message.objects.filter(external_id="mid.1").count() == 1


def test_agent_reply_on_messenger_waits_for_delivery(agent_factory, queue):
    agent = agent_factory()
    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    reply = message_post(chat_id=chat.pk, sender="agent", body="Hello", author_id=agent.pk)

    assert reply.delivery_status == "pending"


def test_agent_message_without_author_is_refused(assigned):
    with pytest.raises(ChatError) as error:
        message_post(chat_id=assigned.pk, sender="agent", body="Hi")

    assert error.value.field == "author"


def test_unknown_sender_is_refused(assigned):
    with pytest.raises(ChatError) as error:
        message_post(chat_id=assigned.pk, sender="robot", body="Hi")

    assert error.value.field == "sender"


def test_client_message_in_an_internal_chat_is_refused(agent_factory):
    me, colleague = agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    with pytest.raises(ChatError):
        message_post(chat_id=chat.pk, sender="client", body="?")


def test_both_colleagues_write_in_an_internal_chat(agent_factory):
    me, colleague = agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    message_post(chat_id=chat.pk, sender="agent", body="ping", author_id=me.pk)
    message_post(chat_id=chat.pk, sender="agent", body="pong", author_id=colleague.pk)

    assert Message.objects.filter(chat=chat).count() == 2


def test_outsider_cannot_write_in_an_internal_chat(agent_factory):
    me, colleague, outsider = agent_factory(), agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    with pytest.raises(ChatError) as error:
        message_post(chat_id=chat.pk, sender="agent", body="hi", author_id=outsider.pk)

    assert error.value.code == "not_participant"


def test_reassignment_keeps_the_unanswered_client_message(agent_factory, queue):
    first, second = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)
    asked = message_post(chat_id=chat.pk, sender="client", body="Hello?")
    message_post(chat_id=chat.pk, sender="agent", body="One moment", author_id=first.pk)
    again = message_post(chat_id=chat.pk, sender="client", body="Still waiting")
    from chat.services.chats import chat_transfer

    chat_transfer(chat_id=chat.pk, to_agent_id=second.pk)

    stored = Chat.objects.get(pk=chat.pk)
    assert stored.awaiting_reply_since == again.created_at != asked.created_at
    assert stored.agent_replied_at is None
    assert stored.assigned_at > again.created_at - timedelta(seconds=1)

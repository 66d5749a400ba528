"""The welcome message (parameter 9): once per chat, at the configured moment."""

from __future__ import annotations

import pytest

from chat.models import Message
from chat.services.chats import chat_assign, chat_requeue, chat_start, chat_transfer, system_text
from chat.services.chats.handover import NOW_TALKING_WITH
from chat.services.dispatch import dispatch
from tests import factories
from tests.chat.routing.helpers import set_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


def welcomes(chat) -> list[str]:
    """The chat's system messages but the transfer's "You are now talking with …" line (issue 14)."""
    return list(
        Message.objects.filter(chat=chat, sender="system")
        .exclude(body__startswith=system_text(NOW_TALKING_WITH).split("%(name)s")[0])
        .values_list("body", flat=True)
    )


def test_never_sends_no_welcome(agent_factory, queue):
    agent_factory(queue=queue)
    set_card(welcome_message_when="never")
    chat = chat_start(channel="website", queue_id=queue.pk)
    dispatch()

    assert welcomes(chat) == []


def test_chat_started_sends_the_welcome_at_the_start(queue):
    set_card(welcome_message_when="chat_started", welcome_message_text="Dzień dobry!")

    chat = chat_start(channel="website", queue_id=queue.pk)

    assert welcomes(chat) == ["Dzień dobry!"]


def test_chat_started_sends_no_second_welcome_at_assignment(agent_factory, queue):
    agent_factory(queue=queue)
    set_card(welcome_message_when="chat_started")
    chat = chat_start(channel="website", queue_id=queue.pk)

    dispatch()

    assert len(welcomes(chat)) == 1


def test_agent_assigned_sends_nothing_at_the_start(queue):
    set_card(welcome_message_when="agent_assigned")

    chat = chat_start(channel="website", queue_id=queue.pk)

    assert welcomes(chat) == []


def test_agent_assigned_sends_the_welcome_when_dispatch_assigns(agent_factory, queue):
    agent_factory(queue=queue)
    set_card(welcome_message_when="agent_assigned", welcome_message_text="Witam, w czym mogę pomóc?")
    chat = chat_start(channel="website", queue_id=queue.pk)

    dispatch()

    assert welcomes(chat) == ["Witam, w czym mogę pomóc?"]


def test_agent_assigned_sends_the_welcome_on_a_manual_assign(agent_factory, queue):
    agent = agent_factory()
    set_card(welcome_message_when="agent_assigned")
    chat = chat_start(channel="website", queue_id=queue.pk)

    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert len(welcomes(chat)) == 1


def test_welcome_is_sent_once_however_often_the_chat_is_reassigned(agent_factory, queue):
    first, _second = agent_factory(queue=queue), agent_factory(queue=queue)
    set_card(welcome_message_when="agent_assigned")
    chat = chat_start(channel="website", queue_id=queue.pk)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)
    chat_requeue(chat_id=chat.pk, reason="no_reply", exclude_agent=True)
    dispatch()  # goes to second

    chat_transfer(chat_id=chat.pk, to_agent_id=first.pk)

    assert len(welcomes(chat)) == 1


def test_welcome_does_not_count_as_activity(queue):
    set_card(welcome_message_when="chat_started")

    chat = chat_start(channel="website", queue_id=queue.pk)

    assert (chat.last_message_at, chat.awaiting_reply_since) == (None, None)


def test_internal_chat_gets_no_welcome(agent_factory):
    set_card(welcome_message_when="chat_started")
    me, colleague = agent_factory(), agent_factory()

    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    assert welcomes(chat) == []

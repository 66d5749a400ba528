"""Who is eligible for a chat (SPEC.md "Available and eligible")."""

from __future__ import annotations

import pytest

from agents.models import PauseType, Presence
from chat.models import Chat, NoReplyExclusion
from chat.services.chats import chat_assign
from chat.services.dispatch import dispatch
from tests import factories

from .helpers import agent_of, set_card, waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Support")


def test_available_member_gets_the_chat(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == agent


def test_logged_out_agent_gets_no_chat(agent_factory, queue):
    agent_factory(queue=queue, logged_in=False)
    chat = waiting_chat(queue)

    assert dispatch() == 0
    assert agent_of(chat) is None


def test_paused_agent_gets_no_chat(agent_factory, queue):
    agent_factory(queue=queue, pause_type=PauseType.objects.get(code="wrap_up"))
    chat = waiting_chat(queue)

    assert dispatch() == 0
    assert agent_of(chat) is None


def test_agent_outside_the_queue_gets_no_chat(agent_factory, queue):
    agent_factory(queue=factories.QueueFactory(name="Other"))
    chat = waiting_chat(queue)

    assert dispatch() == 0
    assert agent_of(chat) is None


def test_deactivated_user_gets_no_chat(agent_factory, queue):
    agent_factory(queue=queue, is_active=False)
    waiting_chat(queue)

    assert dispatch() == 0


def test_customer_owner_is_eligible_without_queue_membership(agent_factory, queue):
    owner = agent_factory()
    chat = waiting_chat(queue, customer=factories.CustomerFactory(owner=owner))

    dispatch()

    assert agent_of(chat) == owner


def test_agent_at_the_maximum_gets_no_more_chats(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chats = [waiting_chat(queue, minutes_ago=10 - i) for i in range(5)]

    assert dispatch() == 3

    assert Presence.objects.get(agent=agent).open_chats == 3
    assert [agent_of(c) for c in chats] == [agent, agent, agent, None, None]


def test_the_maximum_follows_the_card(agent_factory, queue):
    agent = agent_factory(queue=queue)
    set_card(max_concurrent_chats=1)
    for i in range(3):
        waiting_chat(queue, minutes_ago=i)

    assert dispatch() == 1
    assert Presence.objects.get(agent=agent).open_chats == 1


def test_agent_on_a_phone_call_gets_chats_when_parameter_6_is_on(agent_factory, queue):
    agent = agent_factory(queue=queue, on_phone_call=True)
    set_card(assign_during_phone_call=True)
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == agent


def test_agent_on_a_phone_call_gets_no_chat_when_parameter_6_is_off(agent_factory, queue):
    agent_factory(queue=queue, on_phone_call=True)
    set_card(assign_during_phone_call=False)
    chat = waiting_chat(queue)

    assert dispatch() == 0
    assert agent_of(chat) is None


def test_phone_call_with_parameter_6_off_prefers_the_agent_not_on_a_call(agent_factory, queue):
    agent_factory(queue=queue, on_phone_call=True, username="calling")
    free = agent_factory(queue=queue, username="free")
    set_card(assign_during_phone_call=False)
    chat = waiting_chat(queue)

    dispatch()

    assert agent_of(chat) == free


def test_agent_transferred_away_for_no_reply_is_passed_over_for_one_who_was_not(agent_factory, queue):
    excluded = agent_factory(queue=queue, priority=5, username="excluded")
    other = agent_factory(queue=queue, priority=0, username="other")
    chat = waiting_chat(queue)
    NoReplyExclusion.objects.create(chat=chat, agent=excluded)

    dispatch()

    assert agent_of(chat) == other


def test_agent_transferred_away_for_no_reply_gets_the_chat_back_when_nobody_else_is_eligible(agent_factory, queue):
    agent = agent_factory(queue=queue)
    agent_factory(queue=queue, logged_in=False, username="gone")
    agent_factory(queue=queue, pause_type=PauseType.objects.get(code="break"), username="away")
    chat = waiting_chat(queue)
    NoReplyExclusion.objects.create(chat=chat, agent=agent)

    assert dispatch() == 1
    assert agent_of(chat) == agent


def test_when_every_eligible_agent_was_excluded_the_chain_chooses_among_them(agent_factory, queue):
    low = agent_factory(queue=queue, priority=0, username="low")
    high = agent_factory(queue=queue, priority=5, username="high")
    chat = waiting_chat(queue)
    NoReplyExclusion.objects.create(chat=chat, agent=low)
    NoReplyExclusion.objects.create(chat=chat, agent=high)

    dispatch()

    assert agent_of(chat) == high


def test_no_reply_exclusion_applies_only_to_that_chat(agent_factory, queue):
    agent = agent_factory(queue=queue, username="agent")
    other = agent_factory(queue=queue, username="other")
    set_card(max_concurrent_chats=1)
    excluded = waiting_chat(queue, minutes_ago=5)
    second = waiting_chat(queue, minutes_ago=1)
    NoReplyExclusion.objects.create(chat=excluded, agent=agent)

    dispatch()

    assert agent_of(excluded) == other
    assert agent_of(second) == agent


def test_halted_chat_is_not_dispatched(agent_factory, queue):
    from django.utils import timezone

    agent_factory(queue=queue)
    chat = waiting_chat(queue, auto_assign_stopped_at=timezone.now())

    assert dispatch() == 0
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_halted_chat_can_still_be_assigned_by_hand(agent_factory, queue):
    from django.utils import timezone

    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue, auto_assign_stopped_at=timezone.now())

    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert agent_of(chat) == agent


def test_internal_chat_is_never_dispatched(agent_factory, queue):
    agent_factory(queue=queue)
    chat = waiting_chat(queue, channel=Chat.Channel.INTERNAL)

    assert dispatch() == 0
    assert agent_of(chat) is None

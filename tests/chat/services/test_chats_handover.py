"""Services that move a chat between hands: assign by hand, transfer and requeue; bad input changes nothing."""

from __future__ import annotations

import pytest

from agents.models import PauseType
from chat.models import Chat, ChatEvent, NoReplyExclusion
from chat.services.chats import chat_assign, chat_close, chat_requeue, chat_transfer
from chat.services.dispatch import dispatch
from chat.services.errors import ChatError
from tests import factories
from tests.chat.routing.helpers import served_order, set_card, waiting_chat
from tests.chat.services.chat_helpers import english, open_chats

pytestmark = pytest.mark.django_db




# --- assign by hand ------------------------------------------------------------


def test_manual_assign_gives_the_chat_and_takes_a_slot(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)

    chat = chat_assign(chat_id=chat.pk, agent_id=agent.pk, actor=agent)

    assert (chat.status, chat.agent) == ("assigned", agent)
    assert open_chats(agent) == 1
    event = ChatEvent.objects.get(chat=chat, kind="assigned")
    assert (event.strategy, event.actor, event.agent) == ("manual", agent, agent)


def test_manual_assign_to_an_unknown_agent_is_refused(queue):
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=chat.pk, agent_id=999999)

    assert (error.value.field, error.value.code) == ("agent", "unknown_agent")
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_manual_assign_to_a_logged_out_agent_is_refused(agent_factory, queue):
    agent = agent_factory(logged_in=False)
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert error.value.code == "agent_logged_out"
    assert Chat.objects.get(pk=chat.pk).status == "waiting"
    assert open_chats(agent) == 0


def test_manual_assign_to_a_full_agent_is_refused(agent_factory, queue):
    agent = agent_factory()
    set_card(max_concurrent_chats=1)
    chat_assign(chat_id=waiting_chat(queue).pk, agent_id=agent.pk)
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert error.value.code == "agent_full"
    assert "maximum of 1" in english(error.value)
    assert Chat.objects.get(pk=chat.pk).status == "waiting"
    assert open_chats(agent) == 1


def test_manual_assign_works_for_a_paused_agent(agent_factory, queue):
    agent = agent_factory(pause_type=PauseType.objects.get(code="break"))
    chat = waiting_chat(queue)

    assert chat_assign(chat_id=chat.pk, agent_id=agent.pk).agent == agent


def test_manual_assign_of_a_taken_chat_says_it_is_taken(agent_factory, queue):
    first, second = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)

    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=chat.pk, agent_id=second.pk)

    assert error.value.code == "taken"
    assert "already been taken" in english(error.value)
    assert open_chats(second) == 0


def test_manual_assign_of_a_closed_chat_is_refused(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="client")

    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    assert error.value.code == "closed"


def test_manual_assign_of_an_unknown_chat_is_refused(agent_factory):
    with pytest.raises(ChatError) as error:
        chat_assign(chat_id=424242, agent_id=agent_factory().pk)

    assert (error.value.field, error.value.code) == ("chat", "not_found")


# --- transfer ----------------------------------------------------------------


def test_transfer_to_another_agent_moves_the_slot(agent_factory, queue):
    first, second = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)

    chat = chat_transfer(chat_id=chat.pk, to_agent_id=second.pk, actor=first)

    assert chat.agent == second
    assert (open_chats(first), open_chats(second)) == (0, 1)
    transfer = ChatEvent.objects.get(chat=chat, kind="transferred")
    assert (transfer.from_agent, transfer.agent, transfer.reason) == (first, second, "manual")


def test_transfer_to_the_same_agent_is_refused(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    with pytest.raises(ChatError) as error:
        chat_transfer(chat_id=chat.pk, to_agent_id=agent.pk)

    assert (error.value.field, error.value.code) == ("agent", "same_agent")
    assert open_chats(agent) == 1


def test_transfer_to_a_full_agent_is_refused_and_changes_nothing(agent_factory, queue):
    first, full = agent_factory(), agent_factory()
    set_card(max_concurrent_chats=1)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)
    chat_assign(chat_id=waiting_chat(queue).pk, agent_id=full.pk)

    with pytest.raises(ChatError) as error:
        chat_transfer(chat_id=chat.pk, to_agent_id=full.pk)

    assert error.value.code == "agent_full"
    assert Chat.objects.get(pk=chat.pk).agent == first
    assert (open_chats(first), open_chats(full)) == (1, 1)


def test_transfer_back_to_a_queue_keeps_the_queue_time_and_frees_the_slot(agent_factory, queue):
    agent = agent_factory()
    other = factories.QueueFactory(name="Billing")
    chat = waiting_chat(queue, minutes_ago=15)
    queued_at = Chat.objects.get(pk=chat.pk).queued_at
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    chat = chat_transfer(chat_id=chat.pk, to_queue_id=other.pk)

    assert (chat.status, chat.queue, chat.agent, chat.queued_at) == ("waiting", other, None, queued_at)
    assert open_chats(agent) == 0


def test_transfer_needs_an_agent_or_a_queue(queue):
    with pytest.raises(ChatError) as error:
        chat_transfer(chat_id=waiting_chat(queue).pk)

    assert error.value.code == "required"


# --- requeue -------------------------------------------------------------------


def test_requeue_puts_the_chat_back_at_the_head_of_its_queue(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue, minutes_ago=30)
    queued_at = Chat.objects.get(pk=chat.pk).queued_at
    dispatch()
    newer = waiting_chat(queue, minutes_ago=1)

    chat_requeue(chat_id=chat.pk, reason="no_reply")

    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.status, stored.agent, stored.queued_at) == ("waiting", None, queued_at)
    assert open_chats(agent) == 0
    assert served_order(queue) == [chat.pk, newer.pk]
    event = ChatEvent.objects.filter(chat=chat, kind="transferred").get()
    assert (event.reason, event.from_agent) == ("no_reply", agent)


def test_requeue_with_exclusion_puts_the_agent_last_in_line_for_that_chat(agent_factory, queue):
    agent = agent_factory(queue=queue, priority=5, username="first")
    chat = waiting_chat(queue)
    dispatch()
    assert Chat.objects.get(pk=chat.pk).agent == agent
    other = agent_factory(queue=queue, priority=0, username="second")

    chat_requeue(chat_id=chat.pk, reason="no_reply", exclude_agent=True)
    dispatch()

    assert NoReplyExclusion.objects.filter(chat=chat, agent=agent).exists()
    assert Chat.objects.get(pk=chat.pk).agent == other


def test_requeue_of_a_waiting_chat_is_refused(queue):
    with pytest.raises(ChatError) as error:
        chat_requeue(chat_id=waiting_chat(queue).pk, reason="no_reply")

    assert error.value.code == "not_assigned"


def test_requeue_guarded_by_agent_refuses_when_the_chat_moved_on(agent_factory, queue):
    first, second = agent_factory(), agent_factory()
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=second.pk)

    with pytest.raises(ChatError):
        chat_requeue(chat_id=chat.pk, reason="no_reply", agent_id=first.pk)

    assert Chat.objects.get(pk=chat.pk).agent == second

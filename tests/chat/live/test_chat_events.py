"""Every state change of a chat that a page shows publishes one event after commit, naming the agents and
queues whose lists change (chat/services/live/publish.py); nothing is published before the commit."""

from __future__ import annotations

import pytest

from agents.services import presence_logout
from chat.models import Chat
from chat.services.chats import (
    chat_assign,
    chat_close,
    chat_customer_verify,
    chat_mark_read,
    chat_requeue,
    chat_start,
    chat_transfer,
)
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from tests import factories
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


def test_nothing_is_published_before_the_commit(published, queue):
    chat_start(channel="website", queue_id=queue.pk, visitor_name="Ola", visitor_key="k" * 16)
    assert published == []  # the test's transaction never commits


def test_a_started_website_chat_is_queued_for_its_queue_and_its_customer_s_owner(
    published, committed, queue, agent_factory
):
    owner = agent_factory()
    factories.CustomerFactory(email="ola@example.com", owner=owner)
    with committed():
        chat = chat_start(channel="website", queue_id=queue.pk, visitor_email="ola@example.com", visitor_key="k" * 16)

    event = published.one("chat.queued")
    assert (event.chat_id, event.agent_ids, event.queue_ids) == (chat.pk, (owner.pk,), (queue.pk,))


def test_an_internal_chat_is_announced_to_both_agents(published, committed, agent_factory):
    anna, bartek = agent_factory(), agent_factory()
    with committed():
        chat = chat_start(channel="internal", initiator_id=anna.pk, peer_id=bartek.pk)

    event = published.one("chat.assigned")
    assert (event.chat_id, set(event.agent_ids)) == (chat.pk, {anna.pk, bartek.pk})


def test_a_manual_assignment_tells_the_agent_and_the_queue(published, committed, queue, agent_factory):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    with committed():
        chat_assign(chat_id=chat.pk, agent_id=agent.pk, actor=agent)

    event = published.of("chat.assigned")[0]
    assert (event.chat_id, event.agent_ids, event.queue_ids) == (chat.pk, (agent.pk,), (queue.pk,))


def test_dispatch_publishes_one_event_per_assignment_from_the_rows_its_statement_returns(
    published, committed, queue, agent_factory
):
    set_card(max_concurrent_chats=5, welcome_message_when="agent_assigned", welcome_message_text="Hello!")
    owner = agent_factory(logged_in=False)  # he could take it were he here: his list changes too
    agent = agent_factory(queue=queue)
    first = waiting_chat(queue, minutes_ago=2, customer=factories.CustomerFactory(owner=owner))
    second = waiting_chat(queue, minutes_ago=1)
    with committed():
        assert dispatch() == 2

    assigned = {event.chat_id: event for event in published.of("chat.assigned")}
    assert set(assigned) == {first.pk, second.pk}
    assert (assigned[first.pk].agent_ids, assigned[first.pk].queue_ids) == ((agent.pk, owner.pk), (queue.pk,))
    assert assigned[second.pk].agent_ids == (agent.pk,)
    welcomes = published.of("chat.message")
    assert {event.chat_id for event in welcomes} == {first.pk, second.pk}
    assert all(event.agent_ids == (agent.pk,) and event.data["message_id"] for event in welcomes)


def test_a_transfer_to_a_colleague_tells_the_old_and_the_new_agent(published, committed, queue, agent_factory):
    anna, bartek = agent_factory(queue=queue), agent_factory(queue=queue)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with committed():
        chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk, actor=anna)

    event = published.one("chat.transferred")
    assert (event.agent_ids, event.queue_ids) == ((anna.pk, bartek.pk), ())


def test_a_transfer_to_another_queue_tells_both_queues_and_the_old_agent(published, committed, queue, agent_factory):
    other = factories.QueueFactory(name="Sales")
    anna = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with committed():
        chat_transfer(chat_id=chat.pk, to_queue_id=other.pk, actor=anna)

    event = published.one("chat.transferred")
    assert (event.agent_ids, event.queue_ids) == ((anna.pk,), (queue.pk, other.pk))


def test_a_requeue_and_a_log_out_put_the_chat_back_on_its_queue_s_list(published, committed, queue, agent_factory):
    anna = agent_factory(queue=queue)
    first, second = waiting_chat(queue), waiting_chat(queue)
    chat_assign(chat_id=first.pk, agent_id=anna.pk)
    chat_assign(chat_id=second.pk, agent_id=anna.pk)
    with committed():
        chat_requeue(chat_id=first.pk, reason="manual")
    with committed():
        presence_logout(agent_id=anna.pk)

    queued = {event.chat_id: event for event in published.of("chat.queued")}
    assert set(queued) == {first.pk, second.pk}
    assert queued[second.pk].data["reason"] == "agent_logged_out"
    assert all((e.agent_ids, e.queue_ids) == ((anna.pk,), (queue.pk,)) for e in queued.values())


def test_closing_by_hand_tells_the_agent_with_the_closing_message(published, committed, queue, agent_factory):
    anna = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with committed():
        chat_close(chat_id=chat.pk, reason="agent", actor=anna)

    event = published.one("chat.closed")
    assert (event.chat_id, event.agent_ids, event.queue_ids) == (chat.pk, (anna.pk,), ())
    assert Chat.objects.get(pk=chat.pk).messages.filter(pk=event.data["message_id"], sender="system").exists()


def test_closing_a_waiting_chat_takes_it_off_its_queue_s_list(published, committed, queue):
    chat = waiting_chat(queue)
    with committed():
        chat_close(chat_id=chat.pk, reason="client")

    assert published.one("chat.closed").queue_ids == (queue.pk,)


@pytest.mark.parametrize("sender", ["client", "agent", "system"])
def test_a_message_is_published_to_the_chat_and_its_agent(published, committed, queue, agent_factory, sender):
    anna = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with committed():
        message = message_post(
            chat_id=chat.pk, sender=sender, body="Hi", author_id=anna.pk if sender == "agent" else None
        )

    event = published.one("chat.message")
    assert (event.chat_id, event.agent_ids) == (chat.pk, (anna.pk,))
    assert event.data == {"message_id": message.pk, "sender": sender}


def test_a_welcome_at_the_start_is_a_message_of_the_new_chat(published, committed, queue):
    set_card(welcome_message_when="chat_started", welcome_message_text="Hello!")
    with committed():
        chat = chat_start(channel="website", queue_id=queue.pk, visitor_key="k" * 16)

    assert published.one("chat.message").chat_id == chat.pk


def test_the_customer_verified_changes_the_chat(published, committed, queue):
    chat = waiting_chat(queue, customer=factories.CustomerFactory())
    with committed():
        chat_customer_verify(chat_id=chat.pk, via="integration")

    event = published.one("chat.changed")
    assert (event.chat_id, event.queue_ids, event.data["customer_verified"]) == (chat.pk, (queue.pk,), "integration")


def test_a_read_mark_changes_the_reader_s_unread_counts(published, committed, queue, agent_factory):
    anna = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    with committed():
        chat_mark_read(chat_id=chat.pk, agent_id=anna.pk)

    event = published.one("chat.read")
    assert (event.chat_id, event.agent_ids, event.data) == (chat.pk, (anna.pk,), {})

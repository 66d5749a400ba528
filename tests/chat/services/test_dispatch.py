"""dispatch() and dispatch_soon(): events, limits, after-commit scheduling."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from agents.models import Presence
from chat.models import Chat, ChatEvent
from chat.services.chats import chat_start
from chat.services.dispatch import _run_dispatch, dispatch, dispatch_soon
from tests import factories
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


def test_assignment_writes_an_event_with_agent_queue_and_strategy(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    event = ChatEvent.objects.get(chat=chat, kind="assigned")
    assert (event.agent, event.queue, event.strategy, event.actor) == (agent, queue, "only_eligible", None)


def test_assignment_counts_the_slot_and_the_assignment_time(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    presence = Presence.objects.get(agent=agent)
    assert presence.open_chats == 1
    assert presence.last_assigned_at == Chat.objects.get(pk=chat.pk).assigned_at


def test_dispatch_returns_the_number_of_assignments_and_respects_the_limit(agent_factory, queue):
    agent_factory(queue=queue)
    agent_factory(queue=queue)
    for i in range(5):
        waiting_chat(queue, minutes_ago=i)

    assert dispatch(limit=2) == 2
    assert dispatch() == 3
    assert dispatch() == 0


def test_dispatch_with_nothing_waiting_assigns_nothing(agent_factory, queue):
    agent_factory(queue=queue)

    assert dispatch() == 0


def test_dispatch_with_no_available_agent_assigns_nothing(agent_factory, queue):
    agent_factory(queue=queue, logged_in=False)
    waiting_chat(queue)

    assert dispatch() == 0


def test_dispatch_soon_runs_dispatch_after_commit_when_eager(agent_factory, queue, settings,
                                                             django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    agent = agent_factory(queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        chat = chat_start(channel="website", queue_id=queue.pk)

    assert Chat.objects.get(pk=chat.pk).agent == agent


def test_dispatch_soon_registers_one_callback_per_transaction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        dispatch_soon()
        dispatch_soon(queue_id=1)
        dispatch_soon()

    assert [cb for cb in callbacks if cb is _run_dispatch] == [_run_dispatch]


def test_dispatch_soon_does_nothing_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                dispatch_soon()
                raise RuntimeError("boom")
        except RuntimeError:
            pass

    assert callbacks == []
    assert connection.run_on_commit == []


def test_dispatch_soon_queues_the_celery_task_when_not_eager(agent_factory, queue, settings,
                                                             django_capture_on_commit_callbacks):
    """The memory broker accepts the task; nothing runs it here, so the chat stays waiting."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    agent_factory(queue=queue)

    with django_capture_on_commit_callbacks(execute=True):
        chat = chat_start(channel="website", queue_id=queue.pk)

    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_dispatch_task_runs_dispatch(agent_factory, queue):
    from chat.tasks import dispatch_task

    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)

    assert dispatch_task.apply().get() == 1
    assert Chat.objects.get(pk=chat.pk).agent == agent


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "client-side (PgBouncer)"])
def test_dispatch_assigns_in_chain_order_with_and_without_prepared_statements(agent_factory, queue, settings,
                                                                               prepared):
    settings.PARLEY_DISPATCH_PREPARED = prepared
    set_card(max_concurrent_chats=1)
    low = agent_factory(queue=queue, priority=1)
    high = agent_factory(queue=queue, priority=7)
    first, second = waiting_chat(queue, minutes_ago=2), waiting_chat(queue, minutes_ago=1)

    assert dispatch() == 2

    assert (Chat.objects.get(pk=first.pk).agent, Chat.objects.get(pk=second.pk).agent) == (high, low)
    assert ChatEvent.objects.get(chat=first, kind="assigned").strategy == "queue_priority"

"""Dispatch when another transaction holds a row it needs at that very moment.

A second database connection (a thread) holds an agent's Presence row, as a process
in the middle of an assignment to him does, or a chat row, as storing a message does.
Dispatch must pass a held agent over for the next best one without waiting; when every
eligible agent is held it must wait for the best one; and a held chat must be assigned
once its holder is done — never left waiting for the next sweep.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from agents.models import Presence
from chat.models import Chat, ChatEvent
from chat.services.dispatch import dispatch
from tests import factories
from tests.chat.routing.helpers import set_agent_order, waiting_chat

pytestmark = pytest.mark.django_db(transaction=True)


class HeldRows:
    """Hold rows locked (``SELECT … FOR UPDATE``) in another connection until ``release()``."""

    def __init__(self, queryset):
        self.queryset = queryset
        self.locked = threading.Event()
        self.done = threading.Event()
        self.backend_pid = None
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        try:
            with transaction.atomic():
                list(self.queryset.select_for_update())
                self.locked.set()
                self.done.wait(timeout=30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(timeout=10), "the other connection could not lock the rows"
        return self

    def release(self):
        self.done.set()
        self.thread.join(timeout=10)

    def __exit__(self, *exc):
        self.release()


def HeldPresence(*agents) -> HeldRows:  # noqa: N802 - reads like the class it returns
    """Agents' Presence rows held, as by a process in the middle of assigning to them."""
    return HeldRows(Presence.objects.filter(agent_id__in=[agent.pk for agent in agents]))


def _dispatch_in_a_thread(result: dict) -> threading.Thread:
    def run():
        try:
            result["assigned"] = dispatch()
        finally:
            connections.close_all()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    return worker


def _wait_until_dispatch_waits_on_a_lock() -> None:
    deadline = time.monotonic() + 10
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _waiting_on_a_lock(), "dispatch did not wait for the held row"


def _waiting_on_a_lock() -> bool:
    """Some other backend of this database is waiting for a row lock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


def test_an_agent_held_by_another_assignment_is_passed_over_without_waiting(agent_factory, queue):
    set_agent_order("queue_priority")
    best = agent_factory(queue=queue, priority=9)
    second = agent_factory(queue=queue, priority=5)
    agent_factory(queue=queue, priority=1)
    chat = waiting_chat(queue)

    with HeldPresence(best) as held:
        assigned = dispatch()
        still_held = not held.done.is_set()

    assert assigned == 1
    assert still_held  # dispatch returned while the best agent was still held: it did not wait for him
    assert Chat.objects.get(pk=chat.pk).agent == second
    event = ChatEvent.objects.get(chat=chat, kind="assigned")
    assert event.strategy == "queue_priority"  # the second ranks above the third by priority
    assert Presence.objects.get(agent=best).open_chats == 0


def test_when_every_eligible_agent_is_held_dispatch_waits_for_the_best_one(agent_factory, queue):
    set_agent_order("queue_priority")
    best = agent_factory(queue=queue, priority=9)
    other = agent_factory(queue=queue, priority=5)
    chat = waiting_chat(queue)
    result = {}

    with HeldPresence(best, other) as held:
        worker = _dispatch_in_a_thread(result)
        _wait_until_dispatch_waits_on_a_lock()
        assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING
        held.release()
        worker.join(timeout=10)

    assert result == {"assigned": 1}
    assert Chat.objects.get(pk=chat.pk).agent == best
    assert Presence.objects.get(agent=best).open_chats == 1


def test_a_chat_another_transaction_holds_is_assigned_once_the_holder_is_done(agent_factory, queue):
    """A message being stored or a heartbeat holds the chat row for a moment: dispatch must not leave the
    chat waiting for the next sweep."""
    agent = agent_factory(queue=queue)
    first, held_chat = waiting_chat(queue, minutes_ago=2), waiting_chat(queue, minutes_ago=1)
    result = {}

    with HeldRows(Chat.objects.filter(pk=held_chat.pk)) as held:
        worker = _dispatch_in_a_thread(result)
        _wait_until_dispatch_waits_on_a_lock()
        assert Chat.objects.get(pk=first.pk).agent == agent  # the free chat did not wait for the held one
        assert Chat.objects.get(pk=held_chat.pk).status == Chat.Status.WAITING
        held.release()
        worker.join(timeout=10)

    assert result == {"assigned": 2}
    assert Chat.objects.get(pk=held_chat.pk).agent == agent
    assert Presence.objects.get(agent=agent).open_chats == 2

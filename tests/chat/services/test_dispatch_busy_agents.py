"""Dispatch when another transaction holds a row it needs at that very moment.

A second database connection (a thread) holds an agent's Presence row, as a process
in the middle of an assignment to him does, or a chat row, as storing a message does.
Dispatch must pass a held agent over for the next best one without waiting; when every
eligible agent is held it must wait for the best one, without keeping a refused agent's
row locked meanwhile; and a held chat must be assigned once its holder is done — never
left waiting for the next sweep.
"""

from __future__ import annotations

import queue as queue_module
import threading

import pytest
from django.db import connection, connections, transaction

from agents.models import Presence
from chat.models import Chat, ChatEvent
from chat.services.dispatch import dispatch
from tests import factories
from tests.chat.routing.helpers import set_agent_order, set_card, waiting_chat
from tests.polling import poll_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("row locks held by a second connection: SKIP LOCKED, pg_locks, prepared statements"),
]


class HeldRows:
    """Hold rows locked (``SELECT … FOR UPDATE``) in another connection until ``release()``."""

    def __init__(self, queryset, *, before_commit=None):
        self.queryset = queryset
        self.before_commit = before_commit  # what the holder changes before it commits
        self.locked = threading.Event()
        self.done = threading.Event()
        self.xid = None
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self):
        try:
            with transaction.atomic():
                list(self.queryset.select_for_update())
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()::text")
                    self.xid = cursor.fetchone()[0]
                self.locked.set()
                self.done.wait(timeout=30)
                if self.before_commit:
                    self.before_commit()
        finally:
            connections.close_all()

    def someone_waits(self) -> bool:
        """Another transaction is waiting for this holder to finish."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted "
                "AND transactionid::text = %s",
                [self.xid],
            )
            return cursor.fetchone()[0] > 0

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


class DispatchThread:
    """dispatch() in its own thread and connection, reporting each statement with which it may wait for a
    lock: ``("agent", agent_id)`` for a claim that waits for an agent's row, ``("chat", None)`` for a lock
    that waits for a chat's row. ``next_wait(kind)`` blocks until the next report of that kind."""

    def __init__(self):
        self.waits: queue_module.Queue = queue_module.Queue()
        self.result: dict = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _report(self, execute, sql, params, many, context):
        if "SKIP LOCKED" not in sql:
            if sql.lstrip().startswith("WITH slot AS"):
                self.waits.put(("agent", params["agent"]))
            elif "FOR UPDATE OF c" in sql:
                self.waits.put(("chat", None))
        return execute(sql, params, many, context)

    def _run(self):
        try:
            with connection.execute_wrapper(self._report):
                self.result["assigned"] = dispatch()
        finally:
            connections.close_all()

    def next_wait(self, kind: str):
        """The next report of this kind (the waiting path also locks a chat nobody holds on its way)."""
        while True:
            report = self.waits.get(timeout=10)
            if report[0] == kind:
                return report

    def join(self) -> dict:
        self.thread.join(timeout=10)
        return self.result


def poll_pg_locks_until_someone_waits_for(holder: HeldRows) -> None:
    """PostgreSQL tells nobody that a backend started waiting for a lock, so this one place polls its lock
    table (as PostgreSQL's own isolation tester does): every 20 ms, for 10 s at most. No assertion depends
    on how long anything takes."""
    poll_until(holder.someone_waits, timeout=10, every=0.02, message="dispatch to wait for the held row")


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

    with HeldPresence(best, other):
        worker = DispatchThread()
        assert worker.next_wait("agent") == ("agent", best.pk)  # it waits for the best agent, not the first free
        assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING
    result = worker.join()

    assert result == {"assigned": 1}
    assert Chat.objects.get(pk=chat.pk).agent == best
    assert Presence.objects.get(agent=best).open_chats == 1


def test_a_chat_another_transaction_holds_is_assigned_once_the_holder_is_done(agent_factory, queue):
    """A message being stored or a heartbeat holds the chat row for a moment: dispatch must not leave the
    chat waiting for the next sweep."""
    agent = agent_factory(queue=queue)
    first, held_chat = waiting_chat(queue, minutes_ago=2), waiting_chat(queue, minutes_ago=1)

    with HeldRows(Chat.objects.filter(pk=held_chat.pk)):
        worker = DispatchThread()
        assert worker.next_wait("chat") == ("chat", None)
        assert Chat.objects.get(pk=first.pk).agent == agent  # the free chat did not wait for the held one
        assert Chat.objects.get(pk=held_chat.pk).status == Chat.Status.WAITING
    result = worker.join()

    assert result == {"assigned": 2}
    assert Chat.objects.get(pk=held_chat.pk).agent == agent
    assert Presence.objects.get(agent=agent).open_chats == 2


def test_an_agent_who_filled_up_meanwhile_is_not_kept_locked_while_dispatch_waits_for_the_next(agent_factory, queue):
    """Waiting for the best agent, dispatch finds him full once his holder commits, and moves on to wait for
    the next one. It must not keep the first one's row locked meanwhile: a transfer locking both agents in
    ascending order would deadlock with it."""
    set_agent_order("queue_priority")
    set_card(max_concurrent_chats=1)
    best = agent_factory(queue=queue, priority=9)
    other = agent_factory(queue=queue, priority=5)
    chat = waiting_chat(queue)

    def fill_best():
        Presence.objects.filter(agent=best).update(open_chats=1)

    with HeldRows(Presence.objects.filter(agent=other)):
        with HeldRows(Presence.objects.filter(agent=best), before_commit=fill_best) as best_held:
            worker = DispatchThread()
            assert worker.next_wait("agent") == ("agent", best.pk)
            poll_pg_locks_until_someone_waits_for(best_held)  # really waiting, so that the refusal comes after the wait
        assert worker.next_wait("agent") == ("agent", other.pk)  # refused the full one, now waits for the next

        with transaction.atomic():  # the full agent's row is free: nobody holds it any more
            assert list(Presence.objects.select_for_update(nowait=True).filter(agent=best))
    result = worker.join()

    assert result == {"assigned": 1}
    assert Chat.objects.get(pk=chat.pk).agent == other


def test_dispatch_prepares_its_statements_again_when_the_session_lost_them(agent_factory, queue):
    """DISCARD ALL (a connection pooler resetting the session) drops prepared statements."""
    agent = agent_factory(queue=queue)
    first = waiting_chat(queue, minutes_ago=2)
    assert dispatch(limit=1) == 1
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")
    second = waiting_chat(queue, minutes_ago=1)

    assert dispatch() == 1

    assert [Chat.objects.get(pk=c.pk).agent for c in (first, second)] == [agent, agent]


def test_an_excluded_agent_is_not_given_the_chat_while_one_who_was_not_is_only_held(agent_factory, queue):
    """docs/routing.md, "No-reply exclusions": the agent the no-reply rule took the chat from gets it back only
    when nobody else is eligible. A colleague held for a moment by another assignment is still eligible, so
    dispatch waits for him instead of handing the chat back."""
    from chat.models import NoReplyExclusion

    set_agent_order("queue_priority")
    excluded = agent_factory(queue=queue, priority=9)
    colleague = agent_factory(queue=queue, priority=5)
    chat = waiting_chat(queue)
    NoReplyExclusion.objects.create(chat=chat, agent=excluded)

    with HeldPresence(colleague):
        worker = DispatchThread()
        assert worker.next_wait("agent") == ("agent", colleague.pk)
        assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING
    result = worker.join()

    assert result == {"assigned": 1}
    assert Chat.objects.get(pk=chat.pk).agent == colleague
    assert Presence.objects.get(agent=excluded).open_chats == 0

"""Dispatch: give waiting chats to eligible agents (SPEC.md "Dispatch").

``dispatch()`` is the one entry point. It is called after commit by everything that can change eligibility
(``dispatch_soon()``) and by the periodic sweep. Any number of processes may run it at once; see
docs/routing.md for the invariant and why it holds.

On PostgreSQL one assignment is one statement whatever the number of agents or chats
(``statements.ASSIGN_ONE``: lock the next chat of the batch that no other process holds, the client's
previous agent, rank, lock the best agent nobody else is assigning to, capacity guard, chat update and
event); per run add one statement for the card with both strategy orders and one per batch of 25 candidate
chats. All are prepared once per connection (``prepared.Prepared``). When the best agents are all busy at
that instant, and on SQLite, the chat takes the step-by-step waiting path (``waiting.py``).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from psycopg import sql

from chat.models import Chat, ChatSettings
from chat.models.conditions import DISPATCHABLE_CHAT
from core.metrics.instruments import DISPATCH_DURATION, timed

from ..assignment import send_welcome
from ..live.publish import live_chat
from .run import Run
from .statements import candidates_sql, candidates_statement
from .waiting import ASSIGNED, GONE, NOBODY, assign_waiting

logger = logging.getLogger(__name__)

# Past this many skipped chats a run drops those that are no longer waiting (the list travels with every
# candidates query).
SKIPPED_PRUNE_AT = 200
# The Celery task that runs ``dispatch()`` (queued by name: the services do not import the ways in above them).
DISPATCH_TASK = "chat.tasks.dispatch_task"


def dispatchable_chats():
    """Waiting customer chats whose automatic assignment has not stopped (``DISPATCHABLE_CHAT``)."""
    return Chat.objects.filter(DISPATCHABLE_CHAT.q())


def dispatch(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Assign what can be assigned; returns the number of assignments made.

    Waiting, not-halted customer chats are taken in chat order; each goes to the
    agent the chain picks among the eligible ones; a chat nobody can take stays
    waiting and the next one is tried. Each run is timed (``parley_dispatch_duration_seconds``).
    """
    return timed(DISPATCH_DURATION, lambda: _dispatch(now=now, limit=limit))


def _dispatch(*, now: datetime | None, limit: int | None) -> int:
    run = Run.load()
    assigned = 0
    # Chats this run will not try again: nobody was eligible, or they were held by another process when
    # nothing else of the batch was left. Chats merely passed over (taken or held by another process)
    # are not added: taken ones are no longer waiting, and held ones are skipped again by the lock.
    skipped: set[int] = set()
    held: list[int] = []  # of those, the ones another transaction held
    prune_at = SKIPPED_PRUNE_AT
    while limit is None or assigned < limit:
        if len(skipped) > prune_at:
            skipped = set(dispatchable_chats().filter(pk__in=skipped).values_list("pk", flat=True))
            prune_at = max(SKIPPED_PRUNE_AT, 2 * len(skipped))
        pending = _candidates(run, skipped)
        if not pending:
            break
        while pending and (limit is None or assigned < limit):
            result = _assign_next(run, pending, now or timezone.now())
            if result is None:  # the rest are held by other transactions or no longer waiting
                skipped.update(pending)
                held.extend(pending)
                break
            chat_id, outcome = result
            pending = pending[pending.index(chat_id) + 1 :]
            if outcome == ASSIGNED:
                assigned += 1
            elif outcome == NOBODY:
                skipped.add(chat_id)
    if held and (limit is None or assigned < limit):
        assigned += _assign_held(run, held, now, limit=None if limit is None else limit - assigned)
    return assigned


def _candidates(run: Run, skipped: set[int]) -> list[int]:
    """Ids of the next waiting chats worth trying, in chat order."""
    with connection.cursor() as cursor:
        if run.one_statement:
            statement = candidates_statement(tuple(run.chat_codes), allow_phone_call=run.allow_phone_call)
            statement.execute(cursor, {"max": run.max_chats, "skipped": list(skipped)}, prepared=run.prepared)
        else:  # SQLite has no arrays: the skipped ids as a list of parameters
            params: dict = {"max": run.max_chats, **{f"s{n}": chat_id for n, chat_id in enumerate(skipped)}}
            not_skipped = sql.SQL("1 = 1")
            if skipped:
                in_list = sql.SQL(", ").join(sql.Placeholder(f"s{n}") for n in range(len(skipped)))
                not_skipped = sql.SQL("c.id NOT IN ({})").format(in_list)
            cursor.execute(
                candidates_sql(tuple(run.chat_codes), allow_phone_call=run.allow_phone_call, not_skipped=not_skipped),
                params,
            )
        return [row[0] for row in cursor.fetchall()]


def _assign_next(run: Run, pending: list[int], now: datetime) -> tuple[int, str] | None:
    """Lock the next chat of the batch nobody else holds and try to give it to the best eligible agent.

    Returns (chat id, ASSIGNED / NOBODY / GONE), or None when no chat of ``pending`` can be locked any more.
    On PostgreSQL it is one statement (``statements.ASSIGN_ONE``). When the best agents were busy at that
    instant, the chat takes the waiting path, which waits for the chat (its holder is done in moments) and
    then for the agents. Elsewhere (SQLite) the waiting path is the only one.
    """
    if not run.one_statement:
        return assign_waiting(run, pending, now, wait_for_chat=False)
    with transaction.atomic() if run.welcome_on_assign else nullcontext():
        with connection.cursor() as cursor:
            run.assign_statement.execute(
                cursor, {"ids": pending, "max": run.max_chats, "now": now, "data": "{}"}, prepared=run.prepared
            )
            found = cursor.fetchone()
        if found is None:
            return None
        chat_id, agent_id, ranked, queue_id, owner_id, strategy = found[:6]
        if agent_id is not None:
            if run.welcome_on_assign:
                send_welcome(
                    chat_id=chat_id, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now,
                    agent_id=agent_id,
                )
            # After the commit: the statement's own (autocommit), or the welcome's transaction.
            live_chat(
                "chat.assigned", chat_id=chat_id, agents=[agent_id, owner_id], queues=[queue_id], strategy=strategy
            )
            return chat_id, ASSIGNED
    if not ranked:
        return chat_id, NOBODY
    return chat_id, (assign_waiting(run, [chat_id], now, wait_for_chat=True) or (chat_id, GONE))[1]


def _assign_held(run: Run, held: list[int], now: datetime | None, *, limit: int | None) -> int:
    """Chats another transaction held when their turn came (a message being stored, a heartbeat, another
    dispatcher): wait for each holder — a matter of moments — and try again, so that a transient lock never
    leaves a servable chat waiting for the next sweep. Most were taken by the other dispatcher meanwhile;
    one query drops those first."""
    still = set(dispatchable_chats().filter(pk__in=held).values_list("pk", flat=True))
    assigned = 0
    for chat_id in (chat_id for chat_id in held if chat_id in still):
        if limit is not None and assigned >= limit:
            break
        result = assign_waiting(run, [chat_id], now or timezone.now(), wait_for_chat=True)
        if result is not None and result[1] == ASSIGNED:
            assigned += 1
    return assigned


def _run_dispatch() -> None:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        dispatch()
        return
    try:
        current_app.send_task(DISPATCH_TASK)
    except Exception:  # the broker is down: do it here rather than strand the chats
        logger.exception("Could not queue the dispatch task; dispatching in this process")
        dispatch()


def dispatch_soon(*, queue_id: int | None = None) -> None:
    """Run dispatch after the current transaction commits (once per transaction).

    Queues ``chat.tasks.dispatch_task``; with ``CELERY_TASK_ALWAYS_EAGER`` (read at
    call time, so ``settings`` overrides work) it dispatches in this process.
    ``queue_id`` is accepted as a hint and currently unused: a dispatch run serves
    every queue.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(func is _run_dispatch for _ids, func, _robust in conn.run_on_commit):
        return
    connection.on_commit(_run_dispatch, robust=True)

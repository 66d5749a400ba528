"""Dispatch's waiting path: the step-by-step assignment of one chat that waits for locks instead of skipping.

A chat takes it when the one statement found its best agents busy at that instant, when another
transaction held the chat itself, and always on SQLite (the embedded demo, which has no ``SKIP LOCKED`` and
serialises writers anyway). In one transaction: lock the chat (waiting for its holder) and read what routing
needs from the locked row, then give it to the best eligible agent, waiting for a busy agent rather than
leave the chat waiting. No wait lasts longer than ``WAIT_LOCK_TIMEOUT``; a wait that times out (or a deadlock
PostgreSQL breaks) undoes the attempt, is logged, and leaves the chat waiting for the next dispatch.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from django.db import DatabaseError, connection, transaction
from psycopg import sql

from chat.models import Chat, ChatSettings
from chat.models.conditions import DISPATCHABLE_CHAT, previous_agent_sql
from chat.routing.choice import Choice, RoutingContext, choose_agent
from crm.models import Customer

from ..assignment import mark_assigned, record_assigned, send_welcome, take_slot
from ..live.publish import live_chat
from .run import Run
from .statements import TRIES, claim_sql

logger = logging.getLogger(__name__)

# What became of a chat dispatch tried.
ASSIGNED = "assigned"
NOBODY = "nobody"  # nobody eligible now: it stays waiting; skipped for the rest of the run
GONE = "gone"  # no longer dispatchable (taken, closed or halted meanwhile)

# How many of the best agents are tried without waiting (the one statement tries as many).
NOWAIT_TRIES = TRIES
# lock_not_available (lock_timeout) and deadlock_detected.
_GAVE_UP_WAITING = {"55P03", "40P01"}
WAIT_LOCK_TIMEOUT = "5s"

LOCK_NEXT = sql.SQL(
    "SELECT c.id, c.queue_id, (SELECT cu.owner_id FROM {customer} cu WHERE cu.id = c.customer_id), {previous} "
    "FROM {chat} c WHERE c.id IN ({ids}) AND {dispatchable} ORDER BY {position} LIMIT 1{lock}"
)


def assign_waiting(run: Run, pending: list[int], now: datetime, *, wait_for_chat: bool) -> tuple[int, str] | None:
    """Lock the first chat of ``pending`` (in that order) that is still dispatchable and give it to the best
    eligible agent: (chat id, ASSIGNED or NOBODY), or None when no chat could be locked or a wait gave up.

    Without ``wait_for_chat`` it skips chats another transaction holds; with it, it waits for the holder."""
    try:
        return _assign_waiting_once(run, pending, now, wait_for_chat=wait_for_chat)
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) not in _GAVE_UP_WAITING:
            raise
        logger.warning("Dispatch gave up waiting for a lock (%s); the chat stays waiting", error)
        return None


def _assign_waiting_once(run: Run, pending: list[int], now: datetime, *, wait_for_chat: bool):
    with transaction.atomic():
        query, params = _lock_next_sql(run, pending, wait=wait_for_chat)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL lock_timeout = '{WAIT_LOCK_TIMEOUT}'")
            cursor.execute(query, params)
            locked = cursor.fetchone()
        if locked is None:
            return None
        chat_id, queue_id, owner_id, last_agent_id = locked
        ctx = RoutingContext(
            chat_id=chat_id, queue_id=queue_id, owner_id=owner_id, last_agent_id=last_agent_id,
            max_chats=run.max_chats, allow_phone_call=run.allow_phone_call,
        )
        choice = _claim_best_agent(run, ctx, now)
        if choice is None:
            return chat_id, NOBODY
        agent_id = choice.agent_id
        if run.welcome_on_assign:
            send_welcome(
                chat_id=chat_id, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now,
                agent_id=agent_id,
            )
        live_chat(
            "chat.assigned", chat_id=chat_id, agents=[agent_id, owner_id], queues=[queue_id], strategy=choice.strategy
        )
    return chat_id, ASSIGNED


def _lock_next_sql(run: Run, ids: list[int], *, wait: bool) -> tuple[str, dict]:
    """The first of these chats, in the given (chat) order, that is still dispatchable — locked, with what
    routing needs read from the locked row: id, queue, the customer's owner and (when "last_agent" is
    configured) the client's previous agent.

    Without ``wait`` it skips chats another transaction holds (``ORDER BY … LIMIT 1 FOR UPDATE SKIP LOCKED``,
    the job-queue pattern: processes dispatching at once each get a different chat at the first try); with
    ``wait`` it waits for the holder and re-checks. Portable SQL (the lock clause only where the database has
    it)."""
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF c"
        if not wait and connection.features.has_select_for_update_skip_locked:
            lock += " SKIP LOCKED"
    query = LOCK_NEXT.format(
        customer=sql.Identifier(Customer._meta.db_table),
        chat=sql.Identifier(Chat._meta.db_table),
        previous=previous_agent_sql("c") if run.needs_last_agent else sql.SQL("NULL"),
        ids=sql.SQL(", ").join(sql.Placeholder(f"i{n}") for n in range(len(ids))),
        dispatchable=DISPATCHABLE_CHAT.sql("c"),
        position=sql.SQL("CASE c.id {} END").format(
            sql.SQL(" ").join(sql.SQL("WHEN {} THEN {}").format(sql.Placeholder(f"i{n}"), n) for n in range(len(ids)))
        ),
        lock=sql.SQL(lock),
    ).as_string()
    return query, {f"i{n}": chat_id for n, chat_id in enumerate(ids)}


def _event_data(choice: Choice) -> dict:
    """The ASSIGNED event's details: the runner-up, when there was one (as ``statements.ASSIGN_ONE`` writes)."""
    return {"runner_up": choice.runner_up_id} if choice.runner_up_id is not None else {}


class _Refused(Exception):
    """A claim the capacity guard refused (undoes its savepoint)."""


def _claim(run: Run, ctx: RoutingContext, choice: Choice, now: datetime, *, wait: bool) -> bool:
    """The chosen agent's slot, the chat and the ASSIGNED event, all or nothing (``statements.CLAIM`` on
    PostgreSQL, the same three steps through the ORM elsewhere). False = the guard refused (or, without
    ``wait``, another transaction is assigning to this agent right now); nothing was written.

    In a savepoint undone when refused: PostgreSQL keeps the lock of a row it waited for, re-checked and did
    not update, and this transaction must never hold one agent's row while it waits for another's (agents
    come in chain order here, not in the ascending order other paths lock them)."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        claim_sql(allow_phone_call=run.allow_phone_call, wait=wait, async_commit=run.async_commit),
                        {"now": now, "agent": choice.agent_id, "max": run.max_chats, "chat_id": ctx.chat_id,
                         "queue": ctx.queue_id, "strategy": choice.strategy, "data": json.dumps(_event_data(choice))},
                    )
                    if cursor.fetchone() is None:
                        raise _Refused
            else:
                if not take_slot(
                    agent_id=choice.agent_id, max_chats=run.max_chats, now=now, allow_phone_call=run.allow_phone_call
                ):
                    raise _Refused
                mark_assigned(chat_id=ctx.chat_id, agent_id=choice.agent_id, now=now)
                record_assigned(
                    chat_id=ctx.chat_id, agent_id=choice.agent_id, queue_id=ctx.queue_id, strategy=choice.strategy,
                    now=now, data=_event_data(choice),
                )
    except _Refused:
        return False
    return True


def _claim_best_agent(run: Run, ctx: RoutingContext, now: datetime) -> Choice | None:
    """Give the locked chat to the best eligible agent: the choice (his id, the deciding strategy), or None when
    nobody eligible is left.

    First up to NOWAIT_TRIES agents in chain order whose Presence row no other transaction holds right now (so
    that processes dispatching at once spread over agents instead of queueing behind the same one); then, if
    all of those were busy or full, wait for the best agent's row and re-check him, agent by agent, until one
    takes the chat or nobody eligible is left. So a chat is never left waiting just because an agent was busy
    for a moment.
    """
    busy: list[int] = []
    busy_not_excluded = False
    for _try in range(NOWAIT_TRIES):
        choice = choose_agent(ctx, run.agent_codes, exclude=busy)
        if choice is None or (choice.excluded and busy_not_excluded):
            # An agent the no-reply rule took this chat from, while one who was not is only busy for a moment:
            # wait for that one rather than hand the chat back (docs/routing.md, "No-reply exclusions").
            break
        if _claim(run, ctx, choice, now, wait=False):
            return choice
        busy.append(choice.agent_id)
        busy_not_excluded = busy_not_excluded or not choice.excluded
    if not busy:
        return None  # nobody eligible
    refused: list[int] = []
    while (choice := choose_agent(ctx, run.agent_codes, exclude=refused)) is not None:
        if _claim(run, ctx, choice, now, wait=True):
            return choice
        refused.append(choice.agent_id)  # full or gone after all
    return None

"""Dispatch: give waiting chats to eligible agents (SPEC.md "Dispatch").

``dispatch()`` is the one entry point. It is called after commit by everything
that can change eligibility (``dispatch_soon()``) and by the periodic sweep.
Any number of processes may run it at once; see docs/routing.md for the
invariant and why it holds.

On PostgreSQL one assignment is one statement whatever the number of agents or
chats (``dispatch_sql.assign_one_sql``: lock the next chat of the batch that no other
process holds, the client's previous agent, rank, lock the best agent nobody else is
assigning to, capacity guard, chat update and event); per run add one statement for
the card with both strategy orders and one per batch of 25 candidate chats. All are
prepared once per connection. When the best agents are all busy at that instant, and
on SQLite, the chat takes the step-by-step waiting path (``_assign_waiting``).
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from datetime import datetime
from functools import cached_property, lru_cache

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q, Value
from django.utils import timezone

from chat.models import AgentStrategyStep, Chat, ChatSettings, ChatStrategyStep, QueueMembership
from chat.routing.agent_chain import RoutingContext, available_sql, choose_agent
from chat.routing.chat_order import chat_order_sql

from .assignment import claim_for_agent, send_welcome
from .dispatch_sql import TRIES, Prepared, assign_statement, load_settings, previous_agent_sql

logger = logging.getLogger(__name__)

BATCH = 25
# How many of the best agents are tried without waiting (the one statement tries as many).
NOWAIT_TRIES = TRIES
# Past this many skipped chats a run drops those that are no longer waiting (the list travels with
# every candidates query).
SKIPPED_PRUNE_AT = 200


def dispatchable_chats():
    """Waiting customer chats whose automatic assignment has not stopped."""
    return Chat.objects.filter(status=Chat.Status.WAITING, auto_assign_stopped_at__isnull=True).exclude(
        channel=Chat.Channel.INTERNAL
    )


def last_agent_id(*, chat_id, customer_id, visitor_email, visitor_messenger_id, visitor_key, created_at) -> int | None:
    """The agent of this client's most recent earlier chat that had one (customer, e-mail, Messenger id or
    widget key), or None."""
    query = last_agent_query(
        chat_id=chat_id, customer_id=customer_id, visitor_email=visitor_email,
        visitor_messenger_id=visitor_messenger_id, visitor_key=visitor_key, created_at=created_at,
    )
    return None if query is None else query.first()


def last_agent_query(*, chat_id, customer_id, visitor_email, visitor_messenger_id, visitor_key, created_at):
    """The queryset behind ``last_agent_id`` (agent ids, most recent first), or None without any identity."""
    identity = Q()
    if customer_id:
        identity |= Q(customer_id=customer_id)
    if visitor_email:
        identity |= Q(visitor_email=visitor_email)
    if visitor_messenger_id:
        identity |= Q(visitor_messenger_id=visitor_messenger_id)
    if visitor_key:
        identity |= Q(visitor_key=visitor_key)
    if not identity:
        return None
    return (
        Chat.objects.filter(identity, agent__isnull=False, created_at__lte=created_at)
        .exclude(pk=chat_id)
        .exclude(channel=Chat.Channel.INTERNAL)
        .order_by("-created_at", "-id")
        .values_list("agent_id", flat=True)
    )


def strategy_orders() -> tuple[list[str], list[str]]:
    """Both configured orders in one query: (agent chain codes, chat order codes)."""
    rows = AgentStrategyStep.objects.order_by().values_list(Value("agent"), "code", "order").union(
        ChatStrategyStep.objects.order_by().values_list(Value("chat"), "code", "order"), all=True
    )
    ordered = sorted(rows, key=lambda row: (row[0], row[2]))
    agent = [code for kind, code, _o in ordered if kind == "agent"]
    return agent, [code for kind, code, _o in ordered if kind == "chat"]


class _Run:
    """The settings one dispatch run works with (read once per run, in one statement on PostgreSQL)."""

    def __init__(self, card: ChatSettings, agent_codes: list[str], chat_codes: list[str]):
        self.card = card
        self.agent_codes, self.chat_codes = agent_codes, chat_codes
        self.max_chats = card.max_concurrent_chats
        self.allow_phone_call = card.assign_during_phone_call
        self.needs_last_agent = "last_agent" in self.agent_codes
        self.welcome_on_assign = card.welcome_message_when == ChatSettings.WelcomeWhen.AGENT_ASSIGNED
        self.async_commit = getattr(settings, "PARLEY_DISPATCH_ASYNC_COMMIT", True)
        self.one_statement = connection.vendor == "postgresql"
        self.prepared = self.one_statement and getattr(settings, "PARLEY_DISPATCH_PREPARED", True)

    @classmethod
    def load(cls) -> _Run:
        if connection.vendor == "postgresql" and getattr(settings, "PARLEY_DISPATCH_PREPARED", True):
            found = load_settings()
            if found is not None:
                return cls(*found)
        return cls(ChatSettings.load(), *strategy_orders())

    @cached_property
    def assign_statement(self) -> Prepared:
        return assign_statement(
            tuple(self.agent_codes), allow_phone_call=self.allow_phone_call, needs_last_agent=self.needs_last_agent,
            async_commit=self.async_commit,
        )


def _candidates_sql(chat_codes: tuple[str, ...], *, allow_phone_call: bool, not_skipped: str) -> str:
    """The next waiting chats, in chat order, that some available agent with a free slot could take
    (a member of the chat's queue, or its customer's owner), except the skipped ones (``not_skipped``, a
    condition on ``c.id``). Plain SQL walking the waiting chats in chat order; PostgreSQL tests them
    against one hash of the available agents' memberships per query."""
    from django.contrib.auth import get_user_model

    from agents.models import Presence
    from crm.models import Customer

    available = f"{available_sql(allow_phone_call=allow_phone_call)} AND u.is_active"
    presence, user = Presence._meta.db_table, get_user_model()._meta.db_table
    return (
        f"SELECT c.id FROM {Chat._meta.db_table} c LEFT JOIN {Customer._meta.db_table} cu ON cu.id = c.customer_id "
        "WHERE c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL AND c.channel <> 'internal' "
        f"AND (EXISTS (SELECT 1 FROM {QueueMembership._meta.db_table} m "
        f"JOIN {presence} p ON p.agent_id = m.agent_id JOIN {user} u ON u.id = p.agent_id "
        f"WHERE m.queue_id = c.queue_id AND {available}) "
        f"OR EXISTS (SELECT 1 FROM {presence} p JOIN {user} u ON u.id = p.agent_id "
        f"WHERE p.agent_id = cu.owner_id AND {available})) "
        f"AND {not_skipped} ORDER BY {chat_order_sql(chat_codes)} LIMIT {BATCH}"
    )


@lru_cache(maxsize=32)
def _candidates_statement(chat_codes: tuple[str, ...], *, allow_phone_call: bool) -> Prepared:
    """``_candidates_sql`` on PostgreSQL: the skipped ids are one array parameter, so the text (and the
    prepared statement) stays the same whatever is skipped."""
    sql = _candidates_sql(
        chat_codes, allow_phone_call=allow_phone_call, not_skipped="NOT (c.id = ANY(CAST(%(skipped)s AS bigint[])))"
    )
    return Prepared("candidates", sql, (("max", "integer"), ("skipped", "bigint[]")))


def _candidates(run: _Run, skipped: set[int]) -> list[int]:
    """Ids of the next waiting chats worth trying, in chat order."""
    with connection.cursor() as cursor:
        if run.one_statement:
            statement = _candidates_statement(tuple(run.chat_codes), allow_phone_call=run.allow_phone_call)
            statement.execute(cursor, {"max": run.max_chats, "skipped": list(skipped)}, prepared=run.prepared)
        else:  # SQLite has no arrays: the skipped ids as a list of parameters
            params: dict = {"max": run.max_chats, **{f"s{n}": chat_id for n, chat_id in enumerate(skipped)}}
            in_list = ", ".join(f"%(s{n})s" for n in range(len(skipped)))
            sql = _candidates_sql(
                tuple(run.chat_codes), allow_phone_call=run.allow_phone_call,
                not_skipped=f"c.id NOT IN ({in_list})" if skipped else "1 = 1",
            )
            cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _lock_next_sql(run: _Run, ids: list[int], *, wait: bool) -> tuple[str, dict]:
    """The first of these chats, in the given (chat) order, that is still dispatchable — locked, with
    what routing needs read from the locked row: id, queue, the customer's owner and (when "last_agent"
    is configured) the client's previous agent.

    Without ``wait`` it skips chats another transaction holds (``ORDER BY … LIMIT 1 FOR UPDATE SKIP
    LOCKED``, the job-queue pattern: processes dispatching at once each get a different chat at the first
    try); with ``wait`` it waits for the holder and re-checks. Portable SQL (the lock clause only where
    the database has it).
    """
    from crm.models import Customer

    table = Chat._meta.db_table
    params: dict = {f"i{n}": chat_id for n, chat_id in enumerate(ids)}
    in_list = ", ".join(f"%(i{n})s" for n in range(len(ids)))
    position = "CASE c.id " + " ".join(f"WHEN %(i{n})s THEN {n}" for n in range(len(ids))) + " END"
    previous = previous_agent_sql("c") if run.needs_last_agent else "NULL"
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF c"
        if not wait and connection.features.has_select_for_update_skip_locked:
            lock += " SKIP LOCKED"
    sql = (
        "SELECT c.id, c.queue_id, "
        f"(SELECT cu.owner_id FROM {Customer._meta.db_table} cu WHERE cu.id = c.customer_id), {previous} "
        f"FROM {table} c WHERE c.id IN ({in_list}) AND c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL "
        f"AND c.channel <> 'internal' ORDER BY {position} LIMIT 1{lock}"
    )
    return sql, params


def _claim_best_agent(run: _Run, row: dict, ctx: RoutingContext, now: datetime) -> bool:
    """Give the locked chat to the best eligible agent; False when nobody eligible is left.

    First up to NOWAIT_TRIES agents in chain order whose Presence row no other
    transaction holds right now (so that processes dispatching at once spread over
    agents instead of queueing behind the same one); then, if all of those were
    busy or full, wait for the best agent's row and re-check him, agent by agent,
    until one takes the chat or nobody eligible is left. So a chat is never left
    waiting just because an agent was busy for a moment.
    """

    def claim(choice, *, wait: bool) -> bool:
        # In a savepoint undone when refused: PostgreSQL keeps the lock of a row it waited for, re-checked
        # and did not update, and this transaction must never hold one agent's row while it waits for
        # another's (agents come in chain order here, not in the ascending order other paths lock them).
        try:
            with transaction.atomic():
                if not claim_for_agent(
                    chat_id=row["id"], agent_id=choice.agent_id, queue_id=row["queue_id"], strategy=choice.strategy,
                    max_chats=run.max_chats, allow_phone_call=run.allow_phone_call, now=now, wait=wait,
                    async_commit=run.async_commit,
                ):
                    raise _Refused
        except _Refused:
            return False
        return True

    busy: list[int] = []
    for _try in range(NOWAIT_TRIES):
        choice = choose_agent(ctx, run.agent_codes, exclude=busy)
        if choice is None:
            break
        if claim(choice, wait=False):
            return True
        busy.append(choice.agent_id)
    if not busy:
        return False  # nobody eligible
    refused: list[int] = []
    while (choice := choose_agent(ctx, run.agent_codes, exclude=refused)) is not None:
        if claim(choice, wait=True):
            return True
        refused.append(choice.agent_id)  # full or gone after all
    return False


# What became of a chat ``_assign_next`` tried.
ASSIGNED = "assigned"
NOBODY = "nobody"  # nobody eligible now: it stays waiting; skipped for the rest of the run
GONE = "gone"  # no longer dispatchable (taken, closed or halted meanwhile)


def _assign_next(run: _Run, pending: list[int], now: datetime) -> tuple[int, str] | None:
    """Lock the next chat of the batch nobody else holds and try to give it to the best eligible agent.

    Returns (chat id, ASSIGNED / NOBODY / GONE), or None when no chat of ``pending`` can be locked any more.
    On PostgreSQL it is one statement (``dispatch_sql``). When the best agents were busy at that instant,
    the chat takes the waiting path, which waits for the chat (its holder is done in moments) and then
    for the agents. Elsewhere (SQLite) the waiting path is the only one.
    """
    if not run.one_statement:
        return _assign_waiting(run, pending, now, wait_for_chat=False)
    with transaction.atomic() if run.welcome_on_assign else nullcontext():
        with connection.cursor() as cursor:
            run.assign_statement.execute(
                cursor, {"ids": pending, "max": run.max_chats, "now": now, "data": "{}"}, prepared=run.prepared
            )
            found = cursor.fetchone()
        if found is None:
            return None
        chat_id, agent_id, ranked = found[0], found[1], found[2]
        if agent_id is not None:
            if run.welcome_on_assign:
                send_welcome(chat_id=chat_id, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now)
            return chat_id, ASSIGNED
    if not ranked:
        return chat_id, NOBODY
    return chat_id, (_assign_waiting(run, [chat_id], now, wait_for_chat=True) or (chat_id, GONE))[1]


def _assign_waiting(run: _Run, pending: list[int], now: datetime, *, wait_for_chat: bool) -> tuple[int, str] | None:
    """The step-by-step path, in one transaction: lock the chat and read it, find the previous agent,
    then ``_claim_best_agent`` (which waits for a busy agent rather than leave the chat waiting).

    No wait lasts longer than WAIT_LOCK_TIMEOUT; a wait that times out (or a deadlock PostgreSQL breaks)
    undoes the attempt, is logged, and leaves the chat waiting for the next dispatch (None)."""
    try:
        return _assign_waiting_once(run, pending, now, wait_for_chat=wait_for_chat)
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) not in _GAVE_UP_WAITING:
            raise
        logger.warning("Dispatch gave up waiting for a lock (%s); the chat stays waiting", error)
        return None


class _Refused(Exception):
    """A claim the capacity guard refused (undoes its savepoint)."""


# lock_not_available (lock_timeout) and deadlock_detected.
_GAVE_UP_WAITING = {"55P03", "40P01"}
WAIT_LOCK_TIMEOUT = "5s"


def _assign_waiting_once(run: _Run, pending: list[int], now: datetime, *, wait_for_chat: bool):
    with transaction.atomic():
        sql, params = _lock_next_sql(run, pending, wait=wait_for_chat)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL lock_timeout = '{WAIT_LOCK_TIMEOUT}'")
            cursor.execute(sql, params)
            locked = cursor.fetchone()
        if locked is None:
            return None
        row = dict(zip(("id", "queue_id", "owner_id", "last_agent_id"), locked, strict=True))
        ctx = RoutingContext(
            chat_id=row["id"],
            queue_id=row["queue_id"],
            owner_id=row["owner_id"],
            last_agent_id=row["last_agent_id"],
            max_chats=run.max_chats,
            allow_phone_call=run.allow_phone_call,
        )
        if not _claim_best_agent(run, row, ctx, now):
            return row["id"], NOBODY
        if run.welcome_on_assign:
            send_welcome(chat_id=row["id"], when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now)
    return row["id"], ASSIGNED


def dispatch(*, now: datetime | None = None, limit: int | None = None) -> int:
    """Assign what can be assigned; returns the number of assignments made.

    Waiting, not-halted customer chats are taken in chat order; each goes to the
    agent the chain picks among the eligible ones; a chat nobody can take stays
    waiting and the next one is tried.
    """
    run = _Run.load()
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


def _assign_held(run: _Run, held: list[int], now: datetime | None, *, limit: int | None) -> int:
    """Chats another transaction held when their turn came (a message being stored, a heartbeat, another
    dispatcher): wait for each holder — a matter of moments — and try again, so that a transient lock never
    leaves a servable chat waiting for the next sweep. Most were taken by the other dispatcher meanwhile;
    one query drops those first."""
    still = set(dispatchable_chats().filter(pk__in=held).values_list("pk", flat=True))
    assigned = 0
    for chat_id in (chat_id for chat_id in held if chat_id in still):
        if limit is not None and assigned >= limit:
            break
        result = _assign_waiting(run, [chat_id], now or timezone.now(), wait_for_chat=True)
        if result is not None and result[1] == ASSIGNED:
            assigned += 1
    return assigned


def _run_dispatch() -> None:
    if getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
        dispatch()
        return
    try:
        from chat.tasks import dispatch_task

        dispatch_task.delay()
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

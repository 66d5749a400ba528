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

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, Value
from django.utils import timezone

from chat.models import AgentStrategyStep, Chat, ChatSettings, ChatStrategyStep, QueueMembership
from chat.routing.agent_chain import RoutingContext, choose_agent
from chat.routing.chat_order import chat_order_sql

from .assignment import claim_for_agent, send_welcome
from .dispatch_sql import assign_one_sql, load_settings, prepared_cursor

logger = logging.getLogger(__name__)

BATCH = 25
NOWAIT_TRIES = 3
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
        self._assign_sql: str | None = None

    @classmethod
    def load(cls) -> _Run:
        if connection.vendor == "postgresql" and getattr(settings, "PARLEY_DISPATCH_PREPARED", True):
            found = load_settings()
            if found is not None:
                return cls(*found)
        return cls(ChatSettings.load(), *strategy_orders())

    def cursor(self):
        """The cursor for the hot path's statements: prepared on PostgreSQL (see ``dispatch_sql``)."""
        return prepared_cursor() if self.prepared else connection.cursor()

    @property
    def assign_sql(self) -> str:
        if self._assign_sql is None:
            self._assign_sql = assign_one_sql(
                self.agent_codes, allow_phone_call=self.allow_phone_call, needs_last_agent=self.needs_last_agent,
                async_commit=self.async_commit,
            )
        return self._assign_sql


_ROW_FIELDS = (
    "id",
    "queue_id",
    "customer_id",
    "customer__owner_id",
    "visitor_email",
    "visitor_messenger_id",
    "visitor_key",
    "created_at",
)


def _candidates(run: _Run, skipped: set[int]) -> list[dict]:
    """The next waiting chats, in chat order, that some available agent with a free slot could take
    (a member of the chat's queue, or its customer's owner). Plain SQL walking the waiting chats in
    chat order; PostgreSQL tests them against one hash of the available agents' memberships per query.
    On PostgreSQL the skipped ids are one array parameter, so the statement text (and its prepared
    plan) stays the same."""
    from django.contrib.auth import get_user_model

    from agents.models import Presence
    from crm.models import Customer

    available = "p.logged_in AND p.pause_type_id IS NULL AND p.open_chats < %(max)s AND u.is_active"
    if not run.allow_phone_call:
        available += " AND NOT p.on_phone_call"
    presence, user = Presence._meta.db_table, get_user_model()._meta.db_table
    params: dict = {"max": run.max_chats}
    not_skipped = ""
    if run.one_statement:  # one SQL text whatever is skipped, so that the prepared plan is reused
        params["skipped"] = list(skipped)
        not_skipped = " AND c.id <> ALL(CAST(%(skipped)s AS bigint[]))"
    elif skipped:
        params.update({f"s{n}": chat_id for n, chat_id in enumerate(skipped)})
        not_skipped = " AND c.id NOT IN (" + ", ".join(f"%(s{n})s" for n in range(len(skipped))) + ")"
    sql = (
        "SELECT c.id, c.queue_id, c.customer_id, cu.owner_id, c.visitor_email, c.visitor_messenger_id, "
        f"c.visitor_key, c.created_at FROM {Chat._meta.db_table} c "
        f"LEFT JOIN {Customer._meta.db_table} cu ON cu.id = c.customer_id "
        "WHERE c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL AND c.channel <> 'internal' "
        f"AND (EXISTS (SELECT 1 FROM {QueueMembership._meta.db_table} m "
        f"JOIN {presence} p ON p.agent_id = m.agent_id JOIN {user} u ON u.id = p.agent_id "
        f"WHERE m.queue_id = c.queue_id AND {available}) "
        f"OR EXISTS (SELECT 1 FROM {presence} p JOIN {user} u ON u.id = p.agent_id "
        f"WHERE p.agent_id = cu.owner_id AND {available})){not_skipped} "
        f"ORDER BY {chat_order_sql(run.chat_codes)} LIMIT {BATCH}"
    )
    with run.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(_ROW_FIELDS, values, strict=True)) for values in cursor.fetchall()]


def _lock_next_sql(run: _Run, ids: list[int]) -> tuple[str, dict]:
    """The first of these chats, in the given (chat) order, that is still dispatchable and that no other
    process holds — locked.

    ``ORDER BY <position> LIMIT 1 FOR UPDATE SKIP LOCKED`` is the job-queue pattern: processes
    dispatching at once each get a different chat at the first try. Portable SQL (the lock clause only
    where the database has it).
    """
    table = Chat._meta.db_table
    params: dict = {f"i{n}": chat_id for n, chat_id in enumerate(ids)}
    in_list = ", ".join(f"%(i{n})s" for n in range(len(ids)))
    position = "CASE c.id " + " ".join(f"WHEN %(i{n})s THEN {n}" for n in range(len(ids))) + " END"
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF c" + (" SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else "")
    sql = (
        f"SELECT c.id FROM {table} c WHERE c.id IN ({in_list}) AND c.status = 'waiting' "
        f"AND c.auto_assign_stopped_at IS NULL AND c.channel <> 'internal' ORDER BY {position} LIMIT 1{lock}"
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
        return claim_for_agent(
            chat_id=row["id"], agent_id=choice.agent_id, queue_id=row["queue_id"], strategy=choice.strategy,
            max_chats=run.max_chats, allow_phone_call=run.allow_phone_call, now=now, wait=wait,
            async_commit=run.async_commit,
        )

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


def _previous_agent(row: dict) -> int | None:
    """``last_agent_id`` for the hot path: one branch per identity the chat has, each walking its own
    (identity, -created_at) index to the most recent earlier chat with an agent; the latest wins."""
    table = Chat._meta.db_table
    params: dict = {"id": row["id"], "created_at": row["created_at"]}
    branches = []
    for column in ("customer_id", "visitor_email", "visitor_messenger_id", "visitor_key"):
        if row[column]:
            params[column] = row[column]
            branches.append(
                f"SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM {table} e WHERE e.{column} = %({column})s "
                "AND e.agent_id IS NOT NULL AND e.created_at <= %(created_at)s AND e.id <> %(id)s "
                "AND e.channel <> 'internal' ORDER BY e.created_at DESC, e.id DESC LIMIT 1) AS b"
                + str(len(branches))
            )
    if not branches:
        return None
    sql = f"SELECT agent_id FROM ({' UNION ALL '.join(branches)}) AS x ORDER BY created_at DESC, id DESC LIMIT 1"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    return found[0] if found else None


def _assign_next(run: _Run, pending: list[int], rows: dict[int, dict], now: datetime) -> tuple[int, bool] | None:
    """Lock the next chat of the batch nobody else holds and try to give it to the best eligible agent.

    Returns (chat id, assigned?) or None when no chat of ``pending`` can be locked any more. On PostgreSQL
    it is one statement (``assign_sql``); only when the best agents were busy at that instant does the chat
    take the waiting path. Elsewhere (SQLite) the waiting path is the only one.
    """
    if run.one_statement:
        with transaction.atomic() if run.welcome_on_assign else nullcontext():
            with run.cursor() as cursor:
                cursor.execute(run.assign_sql, {"ids": pending, "max": run.max_chats, "now": now, "data": "{}"})
                found = cursor.fetchone()
            if found is None:
                return None
            chat_id, agent_id, ranked = found[0], found[1], found[2]
            if agent_id is not None:
                if run.welcome_on_assign:
                    send_welcome(chat_id=chat_id, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now)
                return chat_id, True
        if not ranked:
            return chat_id, False  # nobody eligible
        return _assign_waiting(run, [chat_id], rows, now) or (chat_id, False)
    return _assign_waiting(run, pending, rows, now)


def _assign_waiting(run: _Run, pending: list[int], rows: dict[int, dict], now: datetime) -> tuple[int, bool] | None:
    """The step-by-step path: lock the chat, find the previous agent, then ``_claim_best_agent`` (which waits
    for a busy agent rather than leave the chat waiting). Three or four statements in one transaction."""
    with transaction.atomic():
        sql, params = _lock_next_sql(run, pending)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            locked = cursor.fetchone()
        if locked is None:
            return None
        row = rows[locked[0]]
        ctx = RoutingContext(
            chat_id=row["id"],
            queue_id=row["queue_id"],
            owner_id=row["customer__owner_id"],
            last_agent_id=_previous_agent(row) if run.needs_last_agent else None,
            max_chats=run.max_chats,
            allow_phone_call=run.allow_phone_call,
        )
        if not _claim_best_agent(run, row, ctx, now):
            return row["id"], False
        if run.welcome_on_assign:
            send_welcome(chat_id=row["id"], when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=run.card, now=now)
    return row["id"], True


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
    while limit is None or assigned < limit:
        if len(skipped) > SKIPPED_PRUNE_AT:
            skipped = set(dispatchable_chats().filter(pk__in=skipped).values_list("pk", flat=True))
        batch = _candidates(run, skipped)
        if not batch:
            break
        rows = {row["id"]: row for row in batch}
        pending = [row["id"] for row in batch]
        while pending and (limit is None or assigned < limit):
            result = _assign_next(run, pending, rows, now or timezone.now())
            if result is None:  # the rest are held by other processes or no longer waiting
                skipped.update(pending)
                break
            chat_id, made = result
            pending = pending[pending.index(chat_id) + 1 :]
            if made:
                assigned += 1
            else:
                skipped.add(chat_id)  # nobody eligible now: it stays waiting
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

"""Dispatch's assignment on PostgreSQL as one statement (one round trip, no explicit transaction).

``assign_one_sql()`` builds, once per dispatch run, a statement that for a list of
candidate chat ids (in chat order):

1. locks the first of them that is still dispatchable and that no other process
   holds (``ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED``, the job-queue
   pattern), with its customer's owner;
2. finds the client's previous agent (only when "last_agent" is configured);
3. ranks the eligible agents by the chain (``agent_chain.ranking_sql``, the same
   SQL the manual paths use) and keeps the first few;
4. locks the best of them whose Presence row no other transaction holds right now
   (``FOR UPDATE SKIP LOCKED`` again, so processes dispatching at once spread over
   agents instead of queueing behind one);
5. takes his slot with the capacity guard (``open_chats < max`` and availability,
   re-checked by PostgreSQL against the newest row version), marks the chat
   assigned and writes the ASSIGNED event naming the strategy that decided.

Data-modifying CTEs run to completion exactly once and see one snapshot; the
statement is atomic on its own, so it needs no BEGIN/COMMIT. It returns one row
(chat id, agent id or NULL, number of ranked agents), or none when no chat of the
list could be locked. An agent id of NULL with ranked agents means the best ones
were busy or had just filled up: the caller retries that chat on the waiting path
(``dispatch._assign_waiting``). The SQL text depends only on the settings, so it is
prepared once per connection (``Prepared``).
"""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from functools import lru_cache

from django.db import DatabaseError, connection, transaction

from agents.models import Presence
from chat.models import AgentStrategyStep, Chat, ChatEvent, ChatSettings, ChatStrategyStep
from chat.routing.agent_chain import LOWEST_ID, ONLY_ELIGIBLE, available_sql, ranking_sql, strategies_for
from crm.models import Customer

# How many of the best agents the statement tries before the caller falls back to waiting.
TRIES = 3

_IDENTITIES = ("customer_id", "visitor_email", "visitor_messenger_id", "visitor_key")


def previous_agent_sql(row: str) -> str:
    """The agent of the client's most recent earlier chat, as a scalar subquery over the chat row ``row``
    (an alias): the same rule as ``dispatch.last_agent_query``, for both dispatch paths. One branch per
    identity (customer, e-mail, Messenger id, widget key), each an index walk on (identity, -created_at);
    the latest wins. Portable SQL (PostgreSQL and SQLite).

    "Has an agent" is written ``COALESCE(agent_id, 0) <> 0`` so that no plan walks the agent_id index
    instead (it looks cheap while the statistics say few chats have an agent, and is not)."""
    chat = Chat._meta.db_table
    branches = []
    for n, column in enumerate(_IDENTITIES):
        # An empty string is no identity (NULL fails the equality anyway).
        present = "" if column == "customer_id" else f" AND {row}.{column} <> ''"
        branches.append(
            f"SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM {chat} e "
            f"WHERE e.{column} = {row}.{column}{present} AND COALESCE(e.agent_id, 0) <> 0 "
            f"AND e.created_at <= {row}.created_at AND e.id <> {row}.id AND e.channel <> 'internal' "
            f"ORDER BY 2 DESC, 3 DESC LIMIT 1) AS b{n}"
        )
    return f"(SELECT x.agent_id FROM ({' UNION ALL '.join(branches)}) x ORDER BY x.created_at DESC, x.id DESC LIMIT 1)"


def assign_one_sql(
    agent_codes: list[str], *, allow_phone_call: bool, needs_last_agent: bool, async_commit: bool
) -> str:
    """The statement described in the module docstring, for these settings.

    Parameters: ``ids`` (candidate chat ids in chat order), ``max``, ``now``, ``data`` (the event's JSON).
    """
    chat, presence = Chat._meta.db_table, Presence._meta.db_table
    steps = strategies_for(agent_codes)
    select, from_where, order = ranking_sql(steps, allow_phone_call=allow_phone_call)
    # "Why this agent": the first key on which the winner and the next-ranked agent differ.
    whens = " ".join(f"WHEN r1.k{i} IS DISTINCT FROM r2.k{i} THEN '{step.code}'" for i, step in enumerate(steps))
    previous = previous_agent_sql("target") if needs_last_agent else "CAST(NULL AS bigint)"
    ids = "CAST(%(ids)s AS bigint[])"
    return _compact(f"""
WITH target AS MATERIALIZED (
    SELECT c.id, c.queue_id, c.customer_id, c.visitor_email, c.visitor_messenger_id, c.visitor_key, c.created_at
    FROM {chat} c
    WHERE c.id = ANY({ids}) AND c.status = 'waiting' AND c.auto_assign_stopped_at IS NULL AND c.channel <> 'internal'
    ORDER BY array_position({ids}, CAST(c.id AS bigint)) LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
), t AS MATERIALIZED (
    SELECT target.id, target.queue_id,
        (SELECT cu.owner_id FROM {Customer._meta.db_table} cu WHERE cu.id = target.customer_id) AS owner_id,
        {previous} AS last_agent_id
    FROM target
), ranked AS MATERIALIZED (
    SELECT s.*, row_number() OVER (ORDER BY {order}) AS pos FROM (SELECT {select} {from_where}) s
    ORDER BY {order} LIMIT {TRIES + 1}
), pick AS MATERIALIZED (
    SELECT p.agent_id FROM {presence} p JOIN ranked r ON r.agent_id = p.agent_id WHERE r.pos <= {TRIES}
    ORDER BY r.pos LIMIT 1 FOR UPDATE OF p SKIP LOCKED
), why AS (
    SELECT CASE WHEN r2.agent_id IS NULL THEN '{ONLY_ELIGIBLE}' {whens} ELSE '{LOWEST_ID}' END AS strategy
    FROM pick JOIN ranked r1 ON r1.agent_id = pick.agent_id LEFT JOIN ranked r2 ON r2.pos = r1.pos + 1
), slot AS (
    UPDATE {presence} SET open_chats = open_chats + 1, last_assigned_at = %(now)s
    WHERE agent_id = (SELECT agent_id FROM pick) AND {available_sql(allow_phone_call=allow_phone_call, alias="")}
    RETURNING agent_id
), claim AS (
    UPDATE {chat} SET status = 'assigned', agent_id = slot.agent_id, assigned_at = %(now)s, agent_replied_at = NULL,
        agent_read_at = NULL
    FROM slot, t WHERE {chat}.id = t.id AND {chat}.status = 'waiting'
    RETURNING {chat}.id, {chat}.agent_id
), event AS (
    INSERT INTO {ChatEvent._meta.db_table} (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
    SELECT claim.id, 'assigned', %(now)s, claim.agent_id, t.queue_id, why.strategy, '', %(data)s FROM claim, t, why
    RETURNING id
)
SELECT t.id, (SELECT agent_id FROM claim), (SELECT count(*) FROM ranked)
    {", (SELECT set_config('synchronous_commit', 'off', true))" if async_commit else ""}
FROM t
""")


def _compact(sql: str) -> str:
    """One space for every run of whitespace (the statements contain no string literal with spaces)."""
    return " ".join(sql.split())


class Prepared:
    """A statement PREPAREd once per database connection and run with ``EXECUTE``.

    Django's cursors bind parameters on the client, so PostgreSQL parses and plans every execution;
    dispatch's statements have a text fixed per settings, so a plan kept for the connection's life
    saves more than running them costs. The statement is prepared with SQL's own ``PREPARE`` (not
    psycopg's automatic preparing, which Django turns off and which would cache every other query of the
    connection too) and run through Django's usual cursor, so execute wrappers, query logging and error
    translation apply. ``PREPARE`` is not undone by a rollback; the name carries a digest of the text,
    so other settings make another statement.

    ``sql`` uses ``%(name)s`` placeholders; ``params`` lists them in order with their SQL types. With
    ``prepared=False`` (``PARLEY_DISPATCH_PREPARED``) the same text runs as an ordinary query.
    """

    def __init__(self, purpose: str, sql: str, params: tuple[tuple[str, str], ...]):
        self.sql, self.params = sql, params
        self.name = f"parley_{purpose}_{hashlib.sha1(sql.encode()).hexdigest()[:12]}"
        body = sql
        for n, (name, _type) in enumerate(params, start=1):
            body = body.replace(f"%({name})s", f"${n}")
        if "%" in body:  # a placeholder missing from params, or a literal % the two modes would read apart
            raise ValueError(f"{purpose}: the statement has a % that is not one of its parameters")
        self.prepare_sql = f"PREPARE {self.name} ({', '.join(kind for _n, kind in params)}) AS {body}"
        self.execute_sql = f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})"

    def execute(self, cursor, values: dict, *, prepared: bool) -> None:
        if not prepared:
            cursor.execute(self.sql, values)
            return
        pg = connection.connection
        names = getattr(pg, "_parley_prepared", None)
        if names is None:
            names = pg._parley_prepared = set()
        if not getattr(pg, "_parley_generic_plans", False) and not connection.in_atomic_block:
            # Plan once: with the default "auto" PostgreSQL may re-plan a prepared statement at every
            # execution when a custom plan looks a little cheaper. Only prepared statements are affected,
            # and only dispatch prepares. Set outside a transaction, so no rollback can undo it.
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            pg._parley_generic_plans = True
        args = [values[name] for name, _type in self.params]
        if self.name in names:
            try:
                with _savepoint():
                    cursor.execute(self.execute_sql, args)
                return
            except DatabaseError as error:
                if _sqlstate(error) != "26000":  # invalid_sql_statement_name
                    raise
                # The session lost its prepared statements (DISCARD ALL, DEALLOCATE ALL): prepare again.
                names.clear()
                pg._parley_generic_plans = False
        try:
            with _savepoint():
                cursor.execute(self.prepare_sql)
        except DatabaseError as error:
            if _sqlstate(error) != "42P05":  # duplicate_prepared_statement: prepared, but not recorded
                raise
        names.add(self.name)
        cursor.execute(self.execute_sql, args)


def _savepoint():
    """Inside a transaction a failed statement aborts it: try in a savepoint there (outside one, a failed
    statement harms nothing)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)


@lru_cache(maxsize=32)
def assign_statement(
    agent_codes: tuple[str, ...], *, allow_phone_call: bool, needs_last_agent: bool, async_commit: bool
) -> Prepared:
    sql = assign_one_sql(
        list(agent_codes), allow_phone_call=allow_phone_call, needs_last_agent=needs_last_agent,
        async_commit=async_commit,
    )
    return Prepared(
        "assign", sql, (("ids", "bigint[]"), ("max", "integer"), ("now", "timestamptz"), ("data", "jsonb"))
    )


@lru_cache(maxsize=1)
def _settings_statement() -> Prepared:
    fields = ChatSettings._meta.concrete_fields
    columns = ", ".join(f's."{field.column}"' for field in fields)
    sql = (
        f"SELECT {columns}, "
        f'ARRAY(SELECT a.code FROM {AgentStrategyStep._meta.db_table} a ORDER BY a."order", a.id), '
        f'ARRAY(SELECT k.code FROM {ChatStrategyStep._meta.db_table} k ORDER BY k."order", k.id) '
        f"FROM {ChatSettings._meta.db_table} s WHERE s.id = %(pk)s"
    )
    return Prepared("settings", sql, (("pk", "integer"),))


def load_settings() -> tuple[ChatSettings, list[str], list[str]] | None:
    """The card and both strategy orders in one prepared statement: (card, agent codes, chat codes), or
    None when the card row does not exist yet (``ChatSettings.load()`` creates it)."""
    fields = ChatSettings._meta.concrete_fields
    with connection.cursor() as cursor:
        _settings_statement().execute(cursor, {"pk": ChatSettings.SINGLETON_PK}, prepared=True)
        row = cursor.fetchone()
    if row is None:
        return None
    card = ChatSettings.from_db(connection.alias, [field.attname for field in fields], row[: len(fields)])
    return card, list(row[-2]), list(row[-1])

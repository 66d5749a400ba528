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
(``dispatch._claim_best_agent``). The SQL text depends only on the settings, so
PostgreSQL can reuse its plan when the connection prepares it.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

from agents.models import Presence
from chat.models import AgentStrategyStep, Chat, ChatEvent, ChatSettings, ChatStrategyStep
from chat.routing.agent_chain import LOWEST_ID, ONLY_ELIGIBLE, ranking_sql, strategies_for
from crm.models import Customer

# How many of the best agents the statement tries before the caller falls back to waiting.
TRIES = 3

_IDENTITIES = ("customer_id", "visitor_email", "visitor_messenger_id", "visitor_key")


def _previous_agent_sql(chat: str) -> str:
    """The agent of the client's most recent earlier chat (same rule as ``dispatch.last_agent_id``): one
    branch per identity, each an index walk on (identity, -created_at), the latest wins.

    "Has an agent" is written ``COALESCE(agent_id, 0) <> 0`` so that no plan walks the agent_id index
    instead (it looks cheap while the statistics say few chats have an agent, and is not)."""
    branches = []
    for column in _IDENTITIES:
        # An empty string is no identity (NULL fails the equality anyway).
        present = "" if column == "customer_id" else f" AND target.{column} <> ''"
        branches.append(
            f"(SELECT e.agent_id, e.created_at, e.id FROM {chat} e WHERE e.{column} = target.{column}{present} "
            "AND COALESCE(e.agent_id, 0) <> 0 AND e.created_at <= target.created_at AND e.id <> target.id "
            "AND e.channel <> 'internal' ORDER BY 2 DESC, 3 DESC LIMIT 1)"
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
    previous = _previous_agent_sql(chat) if needs_last_agent else "CAST(NULL AS bigint)"
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
    WHERE agent_id = (SELECT agent_id FROM pick) AND logged_in AND open_chats < %(max)s AND pause_type_id IS NULL
          {"" if allow_phone_call else "AND NOT on_phone_call"}
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
    """One space for every run of whitespace: psycopg caches the conversion of statements up to 4,096
    characters, and the statements here contain no string literal with spaces."""
    return " ".join(sql.split())


_prepared_cursor_class = None


def _cursor_class():
    """``ServerBindingCursor`` that prepares every statement (built once; the backend imports psycopg)."""
    global _prepared_cursor_class
    if _prepared_cursor_class is None:
        from django.db.backends.postgresql.base import ServerBindingCursor

        class PreparedCursor(ServerBindingCursor):
            def execute(self, query, params=None, **kwargs):
                kwargs.setdefault("prepare", True)
                return super().execute(query, params, **kwargs)

        _prepared_cursor_class = PreparedCursor
    return _prepared_cursor_class


@contextmanager
def prepared_cursor():
    """A cursor that binds parameters on the server and prepares each statement on first use (psycopg 3).

    Django's own cursors bind on the client, so every execution is planned again; these statements'
    texts are fixed per settings, so their plans are worth keeping for the connection's life. Wrapped
    like Django's cursors (execute wrappers, query logging, error translation).
    """
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = _cursor_class()(connection.connection)
        pg = connection.connection
        if not getattr(pg, "_parley_prepared", False):
            # Django turns psycopg's automatic preparing off (prepare_threshold None), which also ignores
            # ``prepare=True``. A threshold nothing reaches lets the explicit request through and still
            # prepares nothing else (Django's own cursors bind on the client and never prepare).
            if pg.prepare_threshold is None:
                pg.prepare_threshold = 2**31 - 1
            # Plan once per connection: with the default "auto" PostgreSQL may keep planning a prepared
            # statement at every execution. Only prepared statements are affected: this hot path's.
            raw.execute("SET plan_cache_mode = force_generic_plan", prepare=False)
            pg._parley_prepared = True
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    try:
        yield cursor
    finally:
        cursor.close()


def load_settings() -> tuple[ChatSettings, list[str], list[str]] | None:
    """The card and both strategy orders in one prepared statement: (card, agent codes, chat codes), or
    None when the card row does not exist yet (``ChatSettings.load()`` creates it)."""
    fields = ChatSettings._meta.concrete_fields
    columns = ", ".join(f's."{field.column}"' for field in fields)
    sql = (
        f"SELECT {columns}, "
        f'ARRAY(SELECT a.code FROM {AgentStrategyStep._meta.db_table} a ORDER BY a."order", a.id), '
        f'ARRAY(SELECT k.code FROM {ChatStrategyStep._meta.db_table} k ORDER BY k."order", k.id) '
        f"FROM {ChatSettings._meta.db_table} s WHERE s.id = %(pk)s"
    )
    with prepared_cursor() as cursor:
        cursor.execute(sql, {"pk": ChatSettings.SINGLETON_PK})
        row = cursor.fetchone()
    if row is None:
        return None
    card = ChatSettings.from_db(connection.alias, [field.attname for field in fields], row[: len(fields)])
    return card, list(row[-2]), list(row[-1])

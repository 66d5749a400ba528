"""Dispatch's statements on PostgreSQL, each written as a whole and filled in with ``psycopg.sql`` composition
(as Zulip's zerver/lib/retention.py builds its statements): the template reads top to bottom like the
statement it makes; what varies with the settings (the chain's keys, parameter 6, "last talked with") and
the rules defined elsewhere (``chat.models.conditions``, ``chat.models.transitions``) are named parts.

The complete assignment statement for the default settings is checked in next to this module
(``assign_one.sql``); tests/chat/services/test_dispatch_statement.py fails when the generated text drifts
from it (regenerate: ``python manage.py shell -c "from chat.services.dispatch.statements import
write_reference; write_reference()"``).

``ASSIGN_ONE``, for a list of candidate chat ids (in chat order):

1. ``target``: locks the first of them that is still dispatchable and that no other process holds
   (``ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED``, the job-queue pattern);
2. ``t``: its customer's owner and, only when "last_agent" is configured, the client's previous agent;
3. ``ranked``: the eligible agents in chain order (``agent_chain.ranking_sql``), the first few;
4. ``pick``: the best of them whose Presence row no other transaction holds right now (``FOR UPDATE SKIP
   LOCKED`` again, so processes dispatching at once spread over agents instead of queueing behind one) —
   never an agent the no-reply rule took this chat from while a better-ranked one who was not is merely busy
   (docs/routing.md, "No-reply exclusions"): then nobody is picked and the waiting path waits for him;
5. ``why``: the strategy that decided (the first key on which he and the next-ranked agent differ; the
   next-ranked one excluded and he not: ``only_eligible``, as when the excluded were not eligible), and that
   next-ranked agent, the runner-up (the event's ``data["runner_up"]``);
6. ``slot``, ``claim``, ``event``: his slot taken with the capacity guard (re-checked by PostgreSQL against
   the newest row version), the chat assigned if still waiting, the ASSIGNED event.

Data-modifying CTEs run to completion exactly once and see one snapshot; the statement is atomic on its own,
so it needs no BEGIN/COMMIT. It returns one row (chat id, agent id or NULL, number of ranked agents, the chat's
queue and its customer's owner: whom the live layer tells), or none
when no chat of the list could be locked. An agent id of NULL with ranked agents means the best ones were
busy or had just filled up: the caller retries that chat on the waiting path (``waiting.py``). The text
depends only on the settings, so it is prepared once per connection (``Prepared``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.contrib.auth import get_user_model
from psycopg import sql

from agents.models import ACTIVE_AGENT, Presence
from chat.models import AgentStrategyStep, Chat, ChatEvent, ChatSettings, ChatStrategyStep, QueueMembership
from chat.models.conditions import DISPATCHABLE_CHAT, available_with_free_slot, previous_agent_sql
from chat.models.strategies import DEFAULT_AGENT_STRATEGY_ORDER, LOWEST_ID, ONLY_ELIGIBLE
from chat.models.transitions import ASSIGN, TAKE_SLOT
from chat.routing.agent_chain import EXCLUDED, ranking_sql, strategies_for
from chat.routing.chat_order import chat_order_sql
from crm.models import Customer

from .prepared import Prepared

# How many of the best agents the statement tries before the caller falls back to waiting.
TRIES = 3
# Candidate chats per query.
BATCH = 25

REFERENCE = Path(__file__).with_name("assign_one.sql")


def _table(model) -> sql.Identifier:
    return sql.Identifier(model._meta.db_table)


ASSIGN_ONE = sql.SQL("""\
WITH target AS MATERIALIZED (
    SELECT c.id, c.queue_id, c.customer_id, c.visitor_email, c.visitor_messenger_id, c.visitor_key, c.created_at
    FROM {chat} c
    WHERE c.id = ANY({ids}) AND {dispatchable}
    ORDER BY array_position({ids}, CAST(c.id AS bigint)) LIMIT 1
    FOR UPDATE OF c SKIP LOCKED
), t AS MATERIALIZED (
    SELECT target.id, target.queue_id,
        (SELECT cu.owner_id FROM {customer} cu WHERE cu.id = target.customer_id) AS owner_id,
        {previous_agent} AS last_agent_id
    FROM target
), ranked AS MATERIALIZED (
    SELECT s.*, row_number() OVER (ORDER BY {chain}) AS pos
    FROM (
        SELECT {keys}
        {eligible}
    ) s
    ORDER BY {chain} LIMIT {ranked}
), pick AS MATERIALIZED (
    SELECT p.agent_id FROM {presence} p JOIN ranked r ON r.agent_id = p.agent_id
    WHERE r.pos <= {tries} AND r.{excluded} = (SELECT r0.{excluded} FROM ranked r0 WHERE r0.pos = 1)
    ORDER BY r.pos LIMIT 1 FOR UPDATE OF p SKIP LOCKED
), why AS (
    SELECT CASE WHEN r2.agent_id IS NULL OR r2.{excluded} <> r1.{excluded} THEN {only_eligible}
        {deciding_key}
        ELSE {lowest_id} END AS strategy,
        r2.agent_id AS runner_up
    FROM pick JOIN ranked r1 ON r1.agent_id = pick.agent_id LEFT JOIN ranked r2 ON r2.pos = r1.pos + 1
), slot AS (
    UPDATE {presence} p SET {take_slot}
    WHERE p.agent_id = (SELECT agent_id FROM pick) AND {available}
    RETURNING p.agent_id
), claim AS (
    UPDATE {chat} c SET {assign}
    FROM slot, t WHERE c.id = t.id AND {assign_guard}
    RETURNING c.id, c.agent_id
), event AS (
    INSERT INTO {event} (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
    SELECT claim.id, {assigned}, %(now)s, claim.agent_id, t.queue_id, why.strategy, '',
        %(data)s || jsonb_strip_nulls(jsonb_build_object('runner_up', why.runner_up))
    FROM claim, t, why
    RETURNING id
)
SELECT t.id, (SELECT agent_id FROM claim), (SELECT count(*) FROM ranked), t.queue_id, t.owner_id,
    (SELECT strategy FROM why){async_commit}
FROM t
""")

# This transaction's commit does not wait for the WAL flush (docs/routing.md, "Asynchronous commit").
ASYNC_COMMIT = sql.SQL(",\n    (SELECT set_config('synchronous_commit', 'off', true))")


def assign_one_sql(
    agent_codes: tuple[str, ...], *, allow_phone_call: bool, needs_last_agent: bool, async_commit: bool
) -> str:
    """``ASSIGN_ONE`` for these settings. Parameters: ``ids`` (candidate chat ids in chat order), ``max``,
    ``now``, ``data`` (the event's JSON)."""
    steps = strategies_for(agent_codes)
    keys, eligible, chain = ranking_sql(steps, allow_phone_call=allow_phone_call)
    deciding_key = sql.SQL("\n        ").join(
        sql.SQL("WHEN r1.{k} IS DISTINCT FROM r2.{k} THEN {code}").format(
            k=sql.SQL(f"k{i}"), code=sql.Literal(step.code)
        )
        for i, step in enumerate(steps)
    )
    return ASSIGN_ONE.format(
        chat=_table(Chat),
        customer=_table(Customer),
        presence=_table(Presence),
        event=_table(ChatEvent),
        ids=sql.SQL("CAST(%(ids)s AS bigint[])"),
        excluded=sql.SQL(EXCLUDED),
        dispatchable=DISPATCHABLE_CHAT.sql("c"),
        previous_agent=previous_agent_sql("target") if needs_last_agent else sql.SQL("CAST(NULL AS bigint)"),
        keys=keys,
        eligible=eligible,
        chain=chain,
        ranked=sql.Literal(TRIES + 1),
        tries=sql.Literal(TRIES),
        only_eligible=sql.Literal(ONLY_ELIGIBLE),
        deciding_key=deciding_key,
        lowest_id=sql.Literal(LOWEST_ID),
        take_slot=TAKE_SLOT.sql("p"),
        available=available_with_free_slot(allow_phone_call=allow_phone_call).sql("p"),
        assign=ASSIGN.sql("c", agent=sql.SQL("slot.agent_id")),
        assign_guard=ASSIGN.when.sql("c"),
        assigned=sql.Literal(ChatEvent.Kind.ASSIGNED.value),
        async_commit=ASYNC_COMMIT if async_commit else sql.SQL(""),
    ).as_string()


@lru_cache(maxsize=32)
def assign_statement(
    agent_codes: tuple[str, ...], *, allow_phone_call: bool, needs_last_agent: bool, async_commit: bool
) -> Prepared:
    text = assign_one_sql(
        agent_codes, allow_phone_call=allow_phone_call, needs_last_agent=needs_last_agent, async_commit=async_commit
    )
    return Prepared(
        "assign", text, (("ids", "bigint[]"), ("max", "integer"), ("now", "timestamptz"), ("data", "jsonb"))
    )


def reference_sql() -> str:
    """``ASSIGN_ONE`` for the default settings (every strategy in the default order, phone calls allowed,
    asynchronous commit): the text checked in as ``assign_one.sql``."""
    return assign_one_sql(
        tuple(DEFAULT_AGENT_STRATEGY_ORDER), allow_phone_call=True, needs_last_agent=True, async_commit=True
    )


def write_reference() -> None:
    REFERENCE.write_text(reference_sql())


# --- the candidates: the next waiting chats some available agent could take ---------------------------

CANDIDATES = sql.SQL("""\
SELECT c.id FROM {chat} c LEFT JOIN {customer} cu ON cu.id = c.customer_id
WHERE {dispatchable}
    AND (EXISTS (SELECT 1 FROM {membership} m JOIN {presence} p ON p.agent_id = m.agent_id
                 JOIN {user} u ON u.id = p.agent_id
                 WHERE m.queue_id = c.queue_id AND {available})
         OR EXISTS (SELECT 1 FROM {presence} p JOIN {user} u ON u.id = p.agent_id
                    WHERE p.agent_id = cu.owner_id AND {available}))
    AND {not_skipped}
ORDER BY {chat_order} LIMIT {batch}
""")


def candidates_sql(chat_codes: tuple[str, ...], *, allow_phone_call: bool, not_skipped: sql.Composable) -> str:
    """The next waiting chats, in chat order, that some available agent with a free slot could take (a member
    of the chat's queue, or its customer's owner), except the skipped ones (``not_skipped``, a condition on
    ``c.id``). Walks the waiting chats in chat order; PostgreSQL tests them against one hash of the available
    agents' memberships per query. Portable SQL (PostgreSQL and SQLite)."""
    return CANDIDATES.format(
        chat=_table(Chat),
        customer=_table(Customer),
        membership=_table(QueueMembership),
        presence=_table(Presence),
        user=_table(get_user_model()),
        dispatchable=DISPATCHABLE_CHAT.sql("c"),
        available=available_with_free_slot(allow_phone_call=allow_phone_call).sql("p") + sql.SQL(" AND ")
        + ACTIVE_AGENT.sql("u"),
        not_skipped=not_skipped,
        chat_order=chat_order_sql(chat_codes),
        batch=sql.Literal(BATCH),
    ).as_string()


@lru_cache(maxsize=32)
def candidates_statement(chat_codes: tuple[str, ...], *, allow_phone_call: bool) -> Prepared:
    """``candidates_sql`` on PostgreSQL: the skipped ids are one array parameter, so the text (and the prepared
    statement) stays the same whatever is skipped."""
    text = candidates_sql(
        chat_codes, allow_phone_call=allow_phone_call,
        not_skipped=sql.SQL("NOT (c.id = ANY(CAST(%(skipped)s AS bigint[])))"),
    )
    return Prepared("candidates", text, (("max", "integer"), ("skipped", "bigint[]")))


# --- the card with both strategy orders, in one statement ----------------------------------------------


@lru_cache(maxsize=1)
def settings_statement() -> Prepared:
    columns = sql.SQL(", ").join(
        sql.SQL("s.{}").format(sql.Identifier(field.column)) for field in ChatSettings._meta.concrete_fields
    )
    text = sql.SQL(
        "SELECT {columns}, "
        'ARRAY(SELECT a.code FROM {agent} a ORDER BY a."order", a.id), '
        'ARRAY(SELECT k.code FROM {chat} k ORDER BY k."order", k.id) '
        "FROM {card} s WHERE s.id = %(pk)s"
    ).format(
        columns=columns, agent=_table(AgentStrategyStep), chat=_table(ChatStrategyStep), card=_table(ChatSettings)
    ).as_string()
    return Prepared("settings", text, (("pk", "integer"),))


# --- the waiting path's claim of one agent -------------------------------------------------------------

CLAIM = sql.SQL("""\
WITH slot AS (
    UPDATE {presence} p SET {take_slot}
    WHERE p.agent_id = %(agent)s AND {available}{nowait}
    RETURNING p.agent_id
), claim AS (
    UPDATE {chat} c SET {assign}
    FROM slot WHERE c.id = %(chat_id)s AND {assign_guard}
    RETURNING c.id
)
INSERT INTO {event} (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
SELECT claim.id, {assigned}, %(now)s, %(agent)s, %(queue)s, %(strategy)s, '', %(data)s FROM claim{async_commit}
RETURNING id
""")
# Only when nobody else is assigning to this agent right now (his row is not locked).
NOWAIT = sql.SQL(
    "\n        AND p.agent_id IN (SELECT agent_id FROM {presence} WHERE agent_id = %(agent)s FOR UPDATE SKIP LOCKED)"
)


@lru_cache(maxsize=8)
def claim_sql(*, allow_phone_call: bool, wait: bool, async_commit: bool) -> str:
    """``CLAIM``: the agent's slot with the capacity guard, the chat if still waiting, the ASSIGNED event, all
    or nothing. Parameters: ``agent``, ``max``, ``now``, ``chat_id``, ``queue``, ``strategy``, ``data``."""
    return CLAIM.format(
        presence=_table(Presence),
        chat=_table(Chat),
        event=_table(ChatEvent),
        take_slot=TAKE_SLOT.sql("p"),
        available=available_with_free_slot(allow_phone_call=allow_phone_call).sql("p"),
        nowait=sql.SQL("") if wait else NOWAIT.format(presence=_table(Presence)),
        assign=ASSIGN.sql("c", agent=sql.SQL("slot.agent_id")),
        assign_guard=ASSIGN.when.sql("c"),
        assigned=sql.Literal(ChatEvent.Kind.ASSIGNED.value),
        async_commit=sql.SQL(", (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit")
        if async_commit else sql.SQL(""),
    ).as_string()

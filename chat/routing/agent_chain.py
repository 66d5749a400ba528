"""Who gets a chat: eligibility and the agent chain (parameter 10), as SQL.

Eligibility (SPEC.md, "Available and eligible"): an agent is eligible for a chat when he is an active user
(``ACTIVE_AGENT``), logged in, not paused, below the maximum and off the phone unless parameter 6 allows a
call (``available_with_free_slot``), a member of the chat's queue (the customer's owner is eligible without
membership). An agent already transferred away from this chat for not replying (NoReplyExclusion) stays
eligible but ranks below every agent who was not: he gets the chat back only when no one else is eligible
(docs/routing.md, "No-reply exclusions").

The chain: each strategy narrows the eligible agents to its best group and hands ties to the next; one that
cannot decide hands on the whole group; after the last one the lowest id wins. Because every strategy keeps
"the agents with the best value of one key", the chain is exactly a lexicographic ``ORDER BY`` over the
strategies' keys followed by the agent id: choosing is one query whatever the number of agents. The strategy
that decided ("why this agent") is the first key on which the winner and the runner-up differ; "lowest_id"
when they tie on every key; "only_eligible" when there was just one eligible agent.

This SQL is the one implementation; the plain-Python model of SPEC.md in
tests/chat/routing/test_dispatch_model.py is the reference it is checked against.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from psycopg import sql

from agents.models import ACTIVE_AGENT, Presence
from chat.models import NoReplyExclusion, QueueMembership
from chat.models.conditions import available_with_free_slot
from chat.models.strategies import AgentStrategyCode

from .registry import Registry

AGENT_STRATEGY_REGISTRY = Registry("agent", AgentStrategyCode)
agent_strategy = AGENT_STRATEGY_REGISTRY.register

# An owner outside the chat's queue has no priority there: he ranks below every member.
NO_PRIORITY = -(2**31)
# The ranking's column that is 1 for an agent the no-reply rule took this chat from (NoReplyExclusion), else 0.
EXCLUDED = "no_reply_excluded"


class AgentStrategy:
    """One step of the chain: a key per agent, best value first.

    ``sql_key()`` is the key as SQL over ``p`` (Presence), ``m`` (the agent's membership in the chat's queue:
    ``priority``, NULL for an owner outside it) and ``t`` (the chat: ``owner_id``, ``last_agent_id``)."""

    code: str = ""
    label = ""
    descending = True  # a higher key is better; else lower first, NULL first

    def sql_key(self) -> sql.Composable:
        raise NotImplementedError


def _is_agent(column: str) -> sql.Composable:
    return sql.SQL(f"CASE WHEN p.agent_id = t.{column} THEN 1 ELSE 0 END")


@agent_strategy(AgentStrategyCode.OWNER)
class Owner(AgentStrategy):
    """The customer's owner in the CRM (when eligible)."""

    def sql_key(self):
        return _is_agent("owner_id")


@agent_strategy(AgentStrategyCode.QUEUE_PRIORITY)
class QueuePriority(AgentStrategy):
    """The highest priority in the chat's queue (an owner outside the queue ranks last)."""

    def sql_key(self):
        return sql.SQL(f"COALESCE(m.priority, {NO_PRIORITY})")


@agent_strategy(AgentStrategyCode.LAST_AGENT)
class LastAgent(AgentStrategy):
    """The agent of this customer's (or visitor's) most recent earlier chat."""

    def sql_key(self):
        return _is_agent("last_agent_id")


@agent_strategy(AgentStrategyCode.FEWEST_OPEN_CHATS)
class FewestOpenChats(AgentStrategy):
    descending = False

    def sql_key(self):
        return sql.SQL("p.open_chats")


@agent_strategy(AgentStrategyCode.LONGEST_UNASSIGNED)
class LongestUnassigned(AgentStrategy):
    """The agent whose last assignment is oldest; never assigned counts as oldest."""

    descending = False

    def sql_key(self):
        return sql.SQL("p.last_assigned_at")


AGENT_STRATEGY_REGISTRY.check_complete()


def strategies_for(codes: Iterable[str]) -> list[AgentStrategy]:
    """The chain's steps for these codes, in order; an unknown code raises ``UnknownStrategy``."""
    return AGENT_STRATEGY_REGISTRY.steps(codes)


def ranking_sql(
    steps: list[AgentStrategy], *, allow_phone_call: bool
) -> tuple[sql.Composable, sql.Composable, sql.Composable]:
    """Eligibility and the chain as SQL, shared by dispatch's one statement and its waiting path.

    Works over a relation ``t`` (the chat: ``id``, ``queue_id``, ``owner_id``, ``last_agent_id``) that the
    caller provides as a CTE, and the parameter ``%(max)s``. Returns (the select list ``agent_id, k0, k1, …,
    no_reply_excluded`` with one key per strategy and the no-reply exclusion last, ``FROM … WHERE …``, the
    ``ORDER BY`` terms over those output names: ``no_reply_excluded`` first, then the chain, then the agent id).
    The agents
    are drawn from the members of the chat's queue plus the owner (``m``: ``agent_id``, ``priority``, NULL for
    an owner outside the queue), so the cost follows the queue's size, not the number of agents. Portable SQL
    (PostgreSQL and SQLite).
    """
    membership = sql.Identifier(QueueMembership._meta.db_table)
    pool = sql.SQL(
        "SELECT mm.agent_id, mm.priority FROM {membership} mm JOIN t ON mm.queue_id = t.queue_id\n"
        "            UNION ALL SELECT t.owner_id, NULL FROM t WHERE t.owner_id IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM {membership} mo WHERE mo.queue_id = t.queue_id AND mo.agent_id = t.owner_id)"
    ).format(membership=membership)
    where = sql.SQL("\n            AND ").join(
        [
            available_with_free_slot(allow_phone_call=allow_phone_call).sql("p"),
            # A scalar subquery, not a join: one index probe per remaining agent (a join gets planned as a hash
            # of every user, whose cost grows with the number of agents).
            sql.SQL("(SELECT {active} FROM {user} u WHERE u.id = p.agent_id)").format(
                active=ACTIVE_AGENT.sql("u"), user=sql.Identifier(get_user_model()._meta.db_table)
            ),
        ]
    )
    from_where = sql.SQL(
        "FROM t CROSS JOIN (\n            {pool}\n        ) m JOIN {presence} p ON p.agent_id = m.agent_id\n"
        "        WHERE {where}"
    ).format(pool=pool, presence=sql.Identifier(Presence._meta.db_table), where=where)
    # The no-reply exclusion is not a filter but the first sort key (docs/routing.md, "No-reply exclusions"): an
    # excluded agent ranks below every agent who is not, so he gets the chat only when nobody else is eligible.
    excluded = sql.SQL(
        "CASE WHEN EXISTS (SELECT 1 FROM {exclusion} x WHERE x.chat_id = t.id AND x.agent_id = p.agent_id) "
        "THEN 1 ELSE 0 END AS {name}"
    ).format(exclusion=sql.Identifier(NoReplyExclusion._meta.db_table), name=sql.SQL(EXCLUDED))
    select = sql.SQL(",\n            ").join(
        [sql.SQL("p.agent_id AS agent_id")]
        + [sql.SQL("{} AS {}").format(step.sql_key(), sql.SQL(f"k{i}")) for i, step in enumerate(steps)]
        + [excluded]
    )
    # Not excluded first; NULL (never assigned) first; the agent id last, so the order is total.
    order = sql.SQL(", ").join(
        [sql.SQL(EXCLUDED)]
        + [sql.SQL(f"k{i} DESC" if step.descending else f"k{i} ASC NULLS FIRST") for i, step in enumerate(steps)]
        + [sql.SQL("agent_id")]
    )
    return select, from_where, order

"""Who gets a chat: eligibility and the agent chain (parameter 10).

Eligibility (SPEC.md, "Available and eligible"): an agent is eligible for a chat
when he is an active user, logged in, not paused, has fewer open chats than the
maximum, is not on a phone call unless parameter 6 allows it, is a member of the
chat's queue (the customer's owner is eligible without membership) and was not
already transferred away from this chat for not replying (NoReplyExclusion).

The chain: each strategy narrows the eligible agents to its best group and hands
ties to the next; one that cannot decide hands on the whole group; after the last
one the lowest id wins. Because every strategy keeps "the agents with the best
value of one key", the chain is exactly a lexicographic ``ORDER BY`` over the
strategies' keys followed by the agent id. So choosing costs one query whatever
the number of agents: order the eligible agents by the keys and read the first
two rows. The strategy that decided ("why this agent") is the first key on which
the winner and the runner-up differ; "lowest_id" when they tie on every key;
"only_eligible" when there was just one eligible agent.

Each strategy also has ``narrow()`` (the shape in EXAMPLES.md) for callers that
want to apply a single step to a queryset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, FilteredRelation, IntegerField, Max, Min, OrderBy, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from agents.models import Presence
from chat.models import NoReplyExclusion

AGENT_STRATEGY_REGISTRY: dict[str, type[AgentStrategy]] = {}

LOWEST_ID = "lowest_id"
ONLY_ELIGIBLE = "only_eligible"
MANUAL = "manual"

# An owner outside the chat's queue has no priority there: he ranks below every member.
NO_PRIORITY = -(2**31)


@dataclass(frozen=True)
class RoutingContext:
    """What the chain needs to know about one chat and the settings."""

    chat_id: int | None
    queue_id: int | None
    owner_id: int | None = None
    last_agent_id: int | None = None
    max_chats: int = 3
    allow_phone_call: bool = True


def agent_strategy(code: str, *, label):
    """Class decorator: register an agent strategy under its stable code."""

    def register(cls):
        cls.code = code
        cls.label = label
        AGENT_STRATEGY_REGISTRY[code] = cls
        return cls

    return register


class AgentStrategy:
    """One step of the chain: a key per agent, best value first."""

    code: str = ""
    label = ""
    descending = True  # a higher key is better

    def key(self, ctx: RoutingContext):
        raise NotImplementedError

    def sql_key(self) -> str:
        """The same key as SQL over ``p`` (Presence), ``m`` (the agent's membership in the chat's queue:
        ``priority``, NULL for an owner outside it) and ``t`` (the chat: ``owner_id``, ``last_agent_id``)."""
        raise NotImplementedError

    @property
    def annotation(self) -> str:
        return f"k_{self.code}"

    def order_by(self) -> OrderBy:
        expr = F(self.annotation)
        return expr.desc() if self.descending else expr.asc(nulls_first=True)

    def narrow(self, agents: QuerySet, ctx: RoutingContext) -> QuerySet:
        """Keep the agents with the best key (all of them when the key cannot tell them apart)."""
        agents = agents.annotate(**{self.annotation: self.key(ctx)})
        if not self.descending and agents.filter(**{f"{self.annotation}__isnull": True}).exists():
            return agents.filter(**{f"{self.annotation}__isnull": True})
        best = agents.aggregate(best=(Max if self.descending else Min)(self.annotation))["best"]
        if best is None:
            return agents
        return agents.filter(**{self.annotation: best})


def _is_agent_sql(column: str) -> str:
    return f"CASE WHEN p.agent_id = t.{column} THEN 1 ELSE 0 END"


def _is_agent(agent_id: int | None):
    if agent_id is None:
        return Value(0, output_field=IntegerField())
    return Case(When(agent_id=agent_id, then=Value(1)), default=Value(0), output_field=IntegerField())


@agent_strategy("owner", label=_("Owner"))
class Owner(AgentStrategy):
    """The customer's owner in the CRM (when eligible)."""

    def key(self, ctx):
        return _is_agent(ctx.owner_id)

    def sql_key(self):
        return _is_agent_sql("owner_id")


@agent_strategy("queue_priority", label=_("Agent priority in queue"))
class QueuePriority(AgentStrategy):
    """The highest priority in the chat's queue (an owner outside the queue ranks last)."""

    def key(self, ctx):
        return Coalesce(F("membership__priority"), Value(NO_PRIORITY), output_field=IntegerField())

    def sql_key(self):
        return f"COALESCE(m.priority, {NO_PRIORITY})"

    def narrow(self, agents, ctx):
        return super().narrow(_with_membership(agents, ctx), ctx)


@agent_strategy("last_agent", label=_("Last talked with the client"))
class LastAgent(AgentStrategy):
    """The agent of this customer's (or visitor's) most recent earlier chat."""

    def key(self, ctx):
        return _is_agent(ctx.last_agent_id)

    def sql_key(self):
        return _is_agent_sql("last_agent_id")


@agent_strategy("fewest_open_chats", label=_("Fewest open chats"))
class FewestOpenChats(AgentStrategy):
    descending = False

    def key(self, ctx):
        return F("open_chats")

    def sql_key(self):
        return "p.open_chats"


@agent_strategy("longest_unassigned", label=_("Longest unassigned"))
class LongestUnassigned(AgentStrategy):
    """The agent whose last assignment is oldest; never assigned counts as oldest."""

    descending = False

    def key(self, ctx):
        return F("last_assigned_at")

    def sql_key(self):
        return "p.last_assigned_at"


def _with_membership(agents: QuerySet, ctx: RoutingContext) -> QuerySet:
    if "membership" in agents.query.annotations:
        return agents
    return agents.annotate(
        membership=FilteredRelation("agent__memberships", condition=Q(agent__memberships__queue_id=ctx.queue_id))
    )


def available_agents(*, max_chats: int, allow_phone_call: bool) -> QuerySet:
    """Presence rows of agents that could take one more chat in some queue (no per-chat rules)."""
    qs = Presence.objects.filter(
        logged_in=True, pause_type__isnull=True, open_chats__lt=max_chats, agent__is_active=True
    )
    if not allow_phone_call:
        qs = qs.filter(on_phone_call=False)
    return qs


def eligible_agents(ctx: RoutingContext) -> QuerySet:
    """Presence rows of the agents eligible for the chat described by ``ctx``."""
    qs = _with_membership(available_agents(max_chats=ctx.max_chats, allow_phone_call=ctx.allow_phone_call), ctx)
    in_queue = Q(membership__isnull=False)
    if ctx.owner_id is not None:
        in_queue |= Q(agent_id=ctx.owner_id)
    qs = qs.filter(in_queue)
    if ctx.chat_id is not None:
        qs = qs.exclude(agent_id__in=NoReplyExclusion.objects.filter(chat_id=ctx.chat_id).values("agent_id"))
    return qs


@dataclass(frozen=True)
class Choice:
    agent_id: int
    strategy: str
    candidates: int  # how many eligible agents were ranked (capped at 2: "one" or "several")


def strategies_for(codes: Iterable[str]) -> list[AgentStrategy]:
    return [AGENT_STRATEGY_REGISTRY[code]() for code in codes if code in AGENT_STRATEGY_REGISTRY]


def rank(ctx: RoutingContext, codes: Iterable[str], *, exclude: Iterable[int] = ()) -> QuerySet:
    """Eligible agents in chain order, best first (one query when evaluated)."""
    steps = strategies_for(codes)
    qs = eligible_agents(ctx)
    exclude = list(exclude)
    if exclude:
        qs = qs.exclude(agent_id__in=exclude)
    qs = qs.annotate(**{step.annotation: step.key(ctx) for step in steps})
    return qs.order_by(*[step.order_by() for step in steps], "agent_id").values(
        "agent_id", *[step.annotation for step in steps]
    )


def available_sql(*, allow_phone_call: bool, alias: str = "p") -> str:
    """"Could take one more chat" over a Presence row (``alias``, "" for none) as SQL with the parameter
    ``%(max)s``: logged in, not paused, below the maximum, and off the phone unless parameter 6 allows it.
    The same test as ``available_agents`` without the user's ``is_active``; it is also the capacity guard
    of every claim."""
    p = f"{alias}." if alias else ""
    sql = f"{p}logged_in AND {p}pause_type_id IS NULL AND {p}open_chats < %(max)s"
    return sql if allow_phone_call else f"{sql} AND NOT {p}on_phone_call"


def ranking_sql(steps: list[AgentStrategy], *, allow_phone_call: bool) -> tuple[str, str, str]:
    """Eligibility and the chain as SQL, shared by ``rank_sql`` and dispatch's one-statement claim.

    Works over a relation ``t`` (the chat: ``id``, ``queue_id``, ``owner_id``, ``last_agent_id``) that the
    caller provides as a CTE, and the parameter ``%(max)s``. Returns (the select list ``agent_id, k0,
    k1, …`` with one key per strategy, FROM … WHERE …, ORDER BY terms over those output names). The
    agents are drawn from the members of the chat's queue plus the owner (``m``: ``agent_id``,
    ``priority``, NULL for an owner outside the queue), so the cost follows the queue's size, not the
    number of agents. Portable SQL (PostgreSQL and SQLite).
    """
    from django.contrib.auth import get_user_model

    from chat.models import QueueMembership

    membership = QueueMembership._meta.db_table
    keys = [step.sql_key() for step in steps]
    pool = (
        f"SELECT mm.agent_id, mm.priority FROM {membership} mm JOIN t ON mm.queue_id = t.queue_id "
        "UNION ALL SELECT t.owner_id, NULL FROM t WHERE t.owner_id IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {membership} mo WHERE mo.queue_id = t.queue_id AND mo.agent_id = t.owner_id)"
    )
    where = [available_sql(allow_phone_call=allow_phone_call)]
    # A scalar subquery, not a join: one index probe per remaining agent (a join gets planned as a hash
    # of every user, whose cost grows with the number of agents).
    where.append(f"(SELECT u.is_active FROM {get_user_model()._meta.db_table} u WHERE u.id = p.agent_id)")
    where.append(
        f"NOT EXISTS (SELECT 1 FROM {NoReplyExclusion._meta.db_table} x "
        "WHERE x.chat_id = t.id AND x.agent_id = p.agent_id)"
    )
    from_where = (
        f"FROM t CROSS JOIN ({pool}) m JOIN {Presence._meta.db_table} p ON p.agent_id = m.agent_id "
        f"WHERE {' AND '.join(where)}"
    )
    select = "".join(["p.agent_id AS agent_id", *(f", {key} AS k{i}" for i, key in enumerate(keys))])
    # NULL (never assigned) first; the agent id last, so the order is total.
    order = [f"k{i} DESC" if step.descending else f"k{i} ASC NULLS FIRST" for i, step in enumerate(steps)]
    return select, from_where, ", ".join([*order, "agent_id"])


def chat_relation_sql() -> str:
    """``t`` for ``ranking_sql`` from parameters (``rank_sql``, the manual paths)."""
    return (
        "t AS (SELECT CAST(%(chat)s AS bigint) AS id, CAST(%(queue)s AS bigint) AS queue_id, "
        "CAST(%(owner)s AS bigint) AS owner_id, CAST(%(last_agent)s AS bigint) AS last_agent_id)"
    )


def rank_sql(ctx: RoutingContext, codes: Iterable[str], *, exclude: Iterable[int] = (), limit: int = 2):
    """The hot path's version of ``rank()``: the same eligibility and keys as plain SQL (no ORM compilation
    per chat). Returns (sql, params, steps). Portable SQL (PostgreSQL and SQLite)."""
    steps = strategies_for(codes)
    params: dict = {
        "chat": ctx.chat_id, "queue": ctx.queue_id, "owner": ctx.owner_id, "last_agent": ctx.last_agent_id,
        "max": ctx.max_chats, "limit": limit,
    }
    select, from_where, order = ranking_sql(steps, allow_phone_call=ctx.allow_phone_call)
    for i, agent_id in enumerate(exclude):
        params[f"ex{i}"] = agent_id
        from_where += f" AND p.agent_id <> %(ex{i})s"
    sql = f"WITH {chat_relation_sql()} SELECT {select} {from_where} ORDER BY {order} LIMIT %(limit)s"
    return sql, params, steps


def choose_agent(ctx: RoutingContext, codes: Iterable[str], *, exclude: Iterable[int] = ()) -> Choice | None:
    """The agent the chain picks for the chat, and the strategy that decided; None when nobody is eligible.

    One query: the eligible agents ordered by the chain's keys, first two rows.
    """
    from django.db import connection

    sql, params, steps = rank_sql(ctx, codes, exclude=exclude)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    best = rows[0]
    if len(rows) == 1:
        return Choice(agent_id=best[0], strategy=ONLY_ELIGIBLE, candidates=1)
    runner_up = rows[1]
    for i, step in enumerate(steps, start=1):
        if best[i] != runner_up[i]:
            return Choice(agent_id=best[0], strategy=step.code, candidates=2)
    return Choice(agent_id=best[0], strategy=LOWEST_ID, candidates=2)

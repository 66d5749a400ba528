"""The chain's choice for one chat described by parameters (dispatch's waiting path): one query, two rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from psycopg import sql

from chat.models.strategies import LOWEST_ID, ONLY_ELIGIBLE

from .agent_chain import ranking_sql, strategies_for


@dataclass(frozen=True)
class RoutingContext:
    """What the chain needs to know about one chat and the settings."""

    chat_id: int | None
    queue_id: int | None
    owner_id: int | None = None
    last_agent_id: int | None = None
    max_chats: int = 3
    allow_phone_call: bool = True


@dataclass(frozen=True)
class Choice:
    agent_id: int
    strategy: str
    candidates: int  # how many eligible agents were ranked (capped at 2: "one" or "several")
    # The agent was transferred away from this chat for not replying and gets it back because no one else is
    # eligible (docs/routing.md, "No-reply exclusions").
    excluded: bool = False
    # The agent ranked next ("why this agent": the one the deciding strategy set him apart from); None when he
    # was the only eligible one.
    runner_up_id: int | None = None


# ``t`` for ``ranking_sql`` from parameters.
CHAT_FROM_PARAMETERS = sql.SQL(
    "t AS (SELECT CAST(%(chat)s AS bigint) AS id, CAST(%(queue)s AS bigint) AS queue_id, "
    "CAST(%(owner)s AS bigint) AS owner_id, CAST(%(last_agent)s AS bigint) AS last_agent_id)"
)


@lru_cache(maxsize=64)
def _rank_sql(codes: tuple[str, ...], allow_phone_call: bool, excluded: int) -> str:
    select, from_where, order = ranking_sql(strategies_for(codes), allow_phone_call=allow_phone_call)
    not_excluded = sql.SQL("").join(
        sql.SQL(" AND p.agent_id <> {}").format(sql.Placeholder(f"ex{i}")) for i in range(excluded)
    )
    return sql.SQL("WITH {t} SELECT {select} {from_where}{not_excluded} ORDER BY {order} LIMIT %(limit)s").format(
        t=CHAT_FROM_PARAMETERS, select=select, from_where=from_where, not_excluded=not_excluded, order=order
    ).as_string()


def rank_sql(ctx: RoutingContext, codes: Iterable[str], *, exclude: Iterable[int] = (), limit: int = 2):
    """The eligible agents in chain order (``ranking_sql`` over the chat ``ctx``), best first, ``limit`` rows,
    without the agents in ``exclude``. Returns (sql, params). Portable SQL (PostgreSQL and SQLite)."""
    exclude = list(exclude)
    params: dict = {
        "chat": ctx.chat_id, "queue": ctx.queue_id, "owner": ctx.owner_id, "last_agent": ctx.last_agent_id,
        "max": ctx.max_chats, "limit": limit, **{f"ex{i}": agent_id for i, agent_id in enumerate(exclude)},
    }
    return _rank_sql(tuple(codes), ctx.allow_phone_call, len(exclude)), params


def choose_agent(ctx: RoutingContext, codes: Iterable[str], *, exclude: Iterable[int] = ()) -> Choice | None:
    """The agent the chain picks for the chat, and the strategy that decided; None when nobody is eligible."""
    codes = tuple(codes)
    query, params = rank_sql(ctx, codes, exclude=exclude)
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = cursor.fetchall()
    if not rows:
        return None
    best = rows[0]
    excluded = bool(best[-1])
    if len(rows) == 1:
        return Choice(agent_id=best[0], strategy=ONLY_ELIGIBLE, candidates=1, excluded=excluded)
    runner_up = rows[1]
    if best[-1] != runner_up[-1]:
        # The runner-up is excluded and the winner is not: the exclusion decided, as when he was not eligible.
        return Choice(
            agent_id=best[0], strategy=ONLY_ELIGIBLE, candidates=2, excluded=excluded, runner_up_id=runner_up[0]
        )
    for i, step in enumerate(strategies_for(codes), start=1):
        if best[i] != runner_up[i]:
            return Choice(
                agent_id=best[0], strategy=step.code, candidates=2, excluded=excluded, runner_up_id=runner_up[0]
            )
    return Choice(agent_id=best[0], strategy=LOWEST_ID, candidates=2, excluded=excluded, runner_up_id=runner_up[0])

"""What every timed rule shares: what is due (``Due``), the set-based conditional change that both databases
go through (``lock_due_update``), the slots given back in bulk, and the retry on a deadlock.

PostgreSQL and SQLite differ in one place only, ``lock_due_update``: on PostgreSQL one statement locks the due
rows with ``SKIP LOCKED`` and changes them where the change's guard still holds; on SQLite (the embedded demo)
the transaction took the write lock at ``BEGIN`` (``transaction_mode=IMMEDIATE``), so it reads what is due
and changes it through the ORM.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from django.db import DatabaseError, connection, models
from django.utils import timezone
from psycopg import sql

from agents.models import Presence
from chat.models.transitions import FREE_SLOTS
from core.conditions import Condition, Transition

from ..dispatch import dispatch

logger = logging.getLogger(__name__)


def now_or(now: datetime | None) -> datetime:
    return now or timezone.now()


@lru_cache(maxsize=64)
def _where(condition: Condition) -> str:
    return condition.sql().as_string()


def _params(values: Mapping[str, Any]) -> dict[str, Any]:
    """Raw SQL parameters: datetimes as the database stores them (SQLite keeps naive UTC text)."""
    return {
        name: connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value
        for name, value in values.items()
    }


@dataclass(frozen=True)
class Due:
    """A rule's "what is due": a condition on one table and its values (cut-off times).

    Rendered to SQL once per shape (not compiled from Q objects at each run: the idle sweep runs every few
    seconds, and the ORM compile of the six-branch inactivity condition cost more than the query itself, 3 ms
    of CPU against 0.4 ms). Every branch is a range on a column of a partial index; docs/timed-rules.md has
    each."""

    model: type[models.Model]
    condition: Condition
    values: Mapping[str, Any]

    def select(self, columns: str) -> tuple[str, dict]:
        return f"SELECT {columns} FROM {self.model._meta.db_table} WHERE {_where(self.condition)}", _params(self.values)

    def count(self) -> int:
        """The idle sweep's probe: one indexed query and no transaction when nothing is due.

        ``COUNT(*)``, not ``EXISTS … LIMIT 1``: the column statistics include the closed chats (their old
        ``page_closed_at``, ``queued_at`` …), so the planner expects thousands of matches and, with LIMIT 1,
        prefers a sequential scan that stops at the first one and reads the whole table when there is none.
        Without the LIMIT it uses the partial indexes.
        """
        query, params = self.select("COUNT(*)")
        with connection.cursor() as cursor:
            cursor.execute(query, params)
            return cursor.fetchone()[0]


LOCK_DUE_UPDATE = sql.SQL(
    "WITH due AS (SELECT {columns} FROM {table} WHERE {due}{order}{limit} FOR UPDATE SKIP LOCKED) "
    "UPDATE {table} x SET {change} FROM due WHERE x.id = due.id AND {guard} RETURNING {returning}"
)


@lru_cache(maxsize=64)
def _lock_due_update_sql(
    table: str, due: Condition, change: Transition, columns: tuple[str, ...], same: tuple[str, ...],
    order_by: str | None, limited: bool,
) -> str:
    guard = [change.when.sql("x")] if change.when is not None else []
    guard += [sql.SQL("x.{col} = due.{col}").format(col=sql.SQL(name)) for name in same]
    return LOCK_DUE_UPDATE.format(
        columns=sql.SQL(", ").join(sql.SQL(name) for name in columns),
        table=sql.Identifier(table),
        due=due.sql(),
        order=sql.SQL(f" ORDER BY {order_by}") if order_by else sql.SQL(""),
        limit=sql.SQL(" LIMIT %(due_limit)s") if limited else sql.SQL(""),
        change=change.sql("x"),
        guard=sql.SQL(" AND ").join(guard) if guard else sql.SQL("TRUE"),
        returning=sql.SQL(", ").join(sql.SQL(f"due.{name}") for name in columns),
    ).as_string()


def lock_due_update(
    due: Due, change: Transition, *, values: Mapping[str, Any], columns: tuple[str, ...], same: tuple[str, ...] = (),
    order_by: str | None = None, limit: int | None = None,
) -> list[tuple]:
    """Change what is due with ``change`` (its values: ``values``) where the change's guard still holds, and
    return ``columns`` of each changed row as they were before the change. Call it in a transaction.

    Rows another transaction holds are skipped (picked up at the next run if still due); rows locked here are
    re-checked against their newest version. ``same``: columns that must not have changed since the row was
    found. ``order_by``/``limit``: a batch of the oldest (a column name, a number)."""
    if connection.features.has_select_for_update_skip_locked:
        query = _lock_due_update_sql(
            due.model._meta.db_table, due.condition, change, columns, same, order_by, limit is not None
        )
        with connection.cursor() as cursor:
            limited = {"due_limit": limit} if limit is not None else {}
            cursor.execute(query, _params({**due.values, **values, **limited}))
            return list(cursor.fetchall())
    # SQLite (embedded demo): the write lock is ours since BEGIN (IMMEDIATE); read, then one conditional UPDATE.
    rows = due.model.objects.filter(due.condition.q(**due.values))
    if order_by:
        rows = rows.order_by(order_by)
    rows = list(rows.values_list(*columns)[:limit] if limit is not None else rows.values_list(*columns))
    if rows:
        changed = due.model.objects.filter(pk__in=[row[columns.index("id")] for row in rows])
        if change.when is not None:
            changed = changed.filter(change.when.q(**values))
        changed.update(**change.orm(**values))
    return rows


def slots_free(*, per_agent: Counter) -> None:
    """Give back ``per_agent[agent]`` slots to each agent (``FREE_SLOTS``, never below 0), the Presence rows
    locked in ascending agent id (the project's lock order: chat rows first, then Presence)."""
    if not per_agent:
        return
    list(Presence.objects.filter(agent_id__in=per_agent).order_by("agent_id").select_for_update().values_list("pk"))
    by_count: dict[int, list[int]] = defaultdict(list)
    for agent_id, n in per_agent.items():
        by_count[n].append(agent_id)
    for n, agent_ids in by_count.items():
        Presence.objects.filter(FREE_SLOTS.when.q(), agent_id__in=agent_ids).update(**FREE_SLOTS.orm(n=n))


def retry_on_deadlock(fn: Callable[[], Any], attempts: int = 3) -> Any:
    for attempt in range(attempts):
        try:
            return fn()
        except DatabaseError as exc:
            cause = getattr(exc, "__cause__", None)
            if getattr(cause, "sqlstate", None) != "40P01" or attempt == attempts - 1:
                raise
            logger.warning("deadlock in a timed rule, retrying")
    return None  # pragma: no cover


def dispatch_after(now: datetime | None) -> int:
    """Run dispatch right away (the rule already runs in a worker); a failure must not undo the rule."""
    try:
        return dispatch(now=now)
    except Exception:  # pragma: no cover - logged; the periodic dispatch sweep is the safety net
        logger.exception("dispatch after a timed rule failed")
        return 0

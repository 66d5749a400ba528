"""A condition or a state change written once, spoken by the ORM and by SQL.

A rule of the product that a service applies through the ORM and a hand-written statement applies in
SQL (dispatch, the timed rules) is defined once with these classes, and each way of speaking it is
produced from that one definition::

    HOLDS_SLOT = Where(status="assigned", channel__ne="internal")

    Chat.objects.filter(HOLDS_SLOT.q())     # the ORM
    HOLDS_SLOT.sql("c")                     # psycopg.sql: c.status = 'assigned' AND c.channel <> 'internal'
    HOLDS_SLOT.holds(chat)                  # a row already read (an instance or a mapping)

    ASSIGN = Transition("assign", when=Where(status="waiting"),
                        sets={"status": "assigned", "agent_id": P("agent"), "assigned_at": P("now")})
    Chat.objects.filter(ASSIGN.when.q(), pk=chat_id).update(**ASSIGN.orm(agent=7, now=now))
    ASSIGN.sql("c", agent=sql.SQL("slot.agent_id"))   # the SET list: status = 'assigned', agent_id = slot.agent_id, …

A parameter ``P("name")`` is a value in ``q()``, ``holds()`` and ``orm()`` (given as a keyword) and, in
SQL, the placeholder ``%(name)s`` unless a keyword binds it to another SQL expression. Lookups follow
Django's syntax (``open_chats__lt=P("max")``): ``exact`` (the default), ``ne``, ``lt``, ``lte``, ``gt``,
``gte``, ``isnull``, and ``in`` (a list: ``= ANY(%(name)s)`` in SQL, PostgreSQL's arrays). SQL's
three-valued logic is the one meant: ``ne`` is for columns that are never NULL (Django's ``~Q`` would let
NULL through), and ``holds()`` treats a comparison with None as false.
Column names are those of the model's fields (``agent_id``, not ``agent``), so that one name serves the
ORM and SQL; they come from code, never from input.

The SQL is a ``psycopg.sql.Composable``; ``.as_string()`` renders it without a connection (PostgreSQL's
syntax, which SQLite also reads for everything written here). Tests check for every condition that
the ORM and SQL select the same rows (tests/chat/services/test_conditions.py).
"""

from __future__ import annotations

import enum
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Greatest
from psycopg import sql

_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_OPERATORS = {"exact": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_COMPARE = {
    "exact": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt,
    "gte": operator.ge,
}


@dataclass(frozen=True)
class P:
    """A parameter of a condition or a change: a value for the ORM, ``%(name)s`` (or a bound expression) in SQL."""

    name: str


def column(alias: str, name: str) -> sql.Composable:
    """``alias.name`` (or ``name`` without an alias) for a column name written in code."""
    for part in (alias, name):
        if part and not _NAME.match(part):
            raise ValueError(f"not a plain SQL name: {part!r}")
    return sql.SQL(f"{alias}.{name}" if alias else name)


def _plain(value: Any) -> Any:
    """A choices member is its value (``Chat.Status.WAITING`` is ``"waiting"``)."""
    return value.value if isinstance(value, enum.Enum) else value


def _value(value: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(value, P):
        if value.name not in values:
            raise TypeError(f"missing parameter {value.name!r}")
        return values[value.name]
    return value


def _sql_value(value: Any, bind: Mapping[str, sql.Composable]) -> sql.Composable:
    if isinstance(value, P):
        return bind[value.name] if value.name in bind else sql.Placeholder(value.name)
    return sql.Literal(value)


def _read(row: Any, name: str) -> Any:
    return row[name] if isinstance(row, Mapping) else getattr(row, name)


class Condition:
    """A condition on one table's rows (see the module docstring)."""

    def q(self, **values: Any) -> Q:
        raise NotImplementedError

    def sql(self, alias: str = "", **bind: sql.Composable) -> sql.Composable:
        raise NotImplementedError

    def holds(self, row: Any, **values: Any) -> bool:
        raise NotImplementedError

    def __and__(self, other: Condition) -> Condition:
        return All((self, other))

    def __or__(self, other: Condition) -> Condition:
        return AnyOf((self, other))

    @property
    def compound(self) -> bool:
        """Whether its SQL joins several terms (and needs parentheses inside an OR)."""
        return True


@dataclass(frozen=True, init=False)
class Where(Condition):
    """Columns compared with values, all of them: ``Where(status="waiting", auto_assign_stopped_at__isnull=True)``."""

    terms: tuple[tuple[str, str, Any], ...]

    def __init__(self, **lookups: Any):
        terms = []
        for key, value in lookups.items():
            name, _sep, lookup = key.partition("__")
            lookup = lookup or "exact"
            if lookup not in (*_OPERATORS, "isnull", "in"):
                raise ValueError(f"unknown lookup {lookup!r} in {key!r}")
            terms.append((name, lookup, _plain(value)))
        object.__setattr__(self, "terms", tuple(terms))

    @property
    def compound(self) -> bool:
        return len(self.terms) > 1

    def q(self, **values: Any) -> Q:
        result = Q()
        for name, lookup, value in self.terms:
            value = _value(value, values)
            if lookup == "ne":
                result &= ~Q(**{name: value})
            elif lookup == "exact":
                result &= Q(**{name: value})
            else:
                result &= Q(**{f"{name}__{lookup}": value})
        return result

    def sql(self, alias: str = "", **bind: sql.Composable) -> sql.Composable:
        parts = []
        for name, lookup, value in self.terms:
            col = column(alias, name)
            if lookup == "isnull":
                parts.append(sql.SQL("{} IS NULL" if value else "{} IS NOT NULL").format(col))
            elif lookup in ("exact", "ne") and value is None:
                parts.append(sql.SQL("{} IS NULL" if lookup == "exact" else "{} IS NOT NULL").format(col))
            elif lookup == "in":
                # A list parameter: an array in PostgreSQL (the SQL of the statements; SQLite reads the ORM's).
                parts.append(sql.SQL("{} = ANY({})").format(col, _sql_value(value, bind)))
            elif lookup in ("exact", "ne") and isinstance(value, bool):
                # A boolean column reads as itself (the spelling of the partial indexes' predicates).
                parts.append(col if value == (lookup == "exact") else sql.SQL("NOT {}").format(col))
            else:
                parts.append(sql.SQL("{} {} {}").format(col, sql.SQL(_OPERATORS[lookup]), _sql_value(value, bind)))
        return sql.SQL(" AND ").join(parts)

    def holds(self, row: Any, **values: Any) -> bool:
        for name, lookup, value in self.terms:
            have, want = _read(row, name), _value(value, values)
            if lookup == "isnull":
                ok = (have is None) == bool(want)
            elif lookup == "in":
                ok = have is not None and have in want
            elif want is None and lookup in ("exact", "ne"):
                ok = (have is None) == (lookup == "exact")
            elif have is None or want is None:
                ok = False  # SQL: a comparison with NULL is not true
            else:
                ok = _COMPARE[lookup](have, want)
            if not ok:
                return False
        return True


@dataclass(frozen=True)
class _Joined(Condition):
    """Parts joined by AND (``All``) or OR (``AnyOf``)."""

    parts: tuple[Condition, ...]
    word = ""

    def _combine(self, left: Q, right: Q) -> Q:
        return left & right if self.word == "AND" else left | right

    def q(self, **values: Any) -> Q:
        result = Q()
        for part in self.parts:
            result = self._combine(result, part.q(**values))
        return result

    def sql(self, alias: str = "", **bind: sql.Composable) -> sql.Composable:
        rendered = [
            sql.SQL("({})").format(part.sql(alias, **bind))
            if self.word == "OR" and part.compound
            else part.sql(alias, **bind)
            for part in self.parts
        ]
        joined = sql.SQL(f" {self.word} ").join(rendered)
        return sql.SQL("({})").format(joined) if self.word == "OR" else joined

    def holds(self, row: Any, **values: Any) -> bool:
        test = all if self.word == "AND" else any
        return test(part.holds(row, **values) for part in self.parts)

    @property
    def compound(self) -> bool:
        return self.word == "AND"  # an OR is already in parentheses


class All(_Joined):
    word = "AND"

    def __and__(self, other: Condition) -> Condition:  # a chain of ANDs stays flat
        return All((*self.parts, other))


class AnyOf(_Joined):
    word = "OR"

    def __or__(self, other: Condition) -> Condition:
        return AnyOf((*self.parts, other))


@dataclass(frozen=True)
class Spelled(Condition):
    """``condition`` with its SQL spelled another way for the planner, e.g. ``COALESCE({agent_id}, 0) <> 0``
    for ``agent_id IS NOT NULL`` (``{name}`` stands for the aliased column). The same-rows tests keep the two in
    step."""

    condition: Condition
    template: str

    def q(self, **values: Any) -> Q:
        return self.condition.q(**values)

    def sql(self, alias: str = "", **bind: sql.Composable) -> sql.Composable:
        names = set(re.findall(r"{(\w+)}", self.template))
        return sql.SQL(self.template).format(**{name: column(alias, name) for name in names})

    def holds(self, row: Any, **values: Any) -> bool:
        return self.condition.holds(row, **values)

    @property
    def compound(self) -> bool:
        return self.condition.compound


# --- values a change computes from the row itself ----------------------------------------------------


@dataclass(frozen=True)
class Keep:
    """The column's own value, or ``otherwise`` when it is NULL: ``COALESCE(column, otherwise)``."""

    column: str
    otherwise: Any

    def orm(self, values: Mapping[str, Any]) -> Any:
        return Coalesce(F(self.column), Value(_value(self.otherwise, values)))

    def sql(self, alias: str, bind: Mapping[str, sql.Composable]) -> sql.Composable:
        return sql.SQL("COALESCE({}, {})").format(column(alias, self.column), _sql_value(self.otherwise, bind))


@dataclass(frozen=True)
class Plus:
    """The column plus a whole number: ``column + amount``."""

    column: str
    amount: int

    def orm(self, values: Mapping[str, Any]) -> Any:
        return F(self.column) + self.amount

    def sql(self, alias: str, bind: Mapping[str, sql.Composable]) -> sql.Composable:
        return sql.SQL("{} + {}").format(column(alias, self.column), sql.Literal(self.amount))


@dataclass(frozen=True)
class MinusAtLeastZero:
    """The column less ``amount``, never below zero: ``GREATEST(column - amount, 0)``."""

    column: str
    amount: Any

    def orm(self, values: Mapping[str, Any]) -> Any:
        return Greatest(F(self.column) - _value(self.amount, values), Value(0))

    def sql(self, alias: str, bind: Mapping[str, sql.Composable]) -> sql.Composable:
        return sql.SQL("GREATEST({} - {}, 0)").format(column(alias, self.column), _sql_value(self.amount, bind))


@dataclass(frozen=True)
class LaterOf:
    """The later of the column's value and ``other`` (the column is never NULL where it is used):
    ``GREATEST(column, other)``."""

    column: str
    other: Any

    def orm(self, values: Mapping[str, Any]) -> Any:
        return Greatest(F(self.column), Value(_value(self.other, values)))

    def sql(self, alias: str, bind: Mapping[str, sql.Composable]) -> sql.Composable:
        return sql.SQL("GREATEST({}, {})").format(column(alias, self.column), _sql_value(self.other, bind))


_COMPUTED = (Keep, Plus, MinusAtLeastZero, LaterOf)


@dataclass(frozen=True, eq=False)
class Transition:
    """A state change: the fields it sets, and the guard (``when``) a conditional update checks so that, of
    two writers at once, the database lets one through. ``when`` is None for a change whose callers choose
    the guard (or hold the row locked and have checked it)."""

    name: str
    sets: Mapping[str, Any]
    when: Condition | None = None

    def __post_init__(self):
        object.__setattr__(self, "sets", {name: _plain(value) for name, value in self.sets.items()})

    def orm(self, **values: Any) -> dict[str, Any]:
        """The keyword arguments of ``QuerySet.update()``."""
        return {
            name: value.orm(values) if isinstance(value, _COMPUTED) else _value(value, values)
            for name, value in self.sets.items()
        }

    def sql(self, alias: str = "", **bind: sql.Composable) -> sql.Composable:
        """The ``SET`` list; ``alias`` qualifies the columns the values read (the targets never are)."""
        return sql.SQL(", ").join(
            sql.SQL("{} = {}").format(
                column("", name), value.sql(alias, bind) if isinstance(value, _COMPUTED) else _sql_value(value, bind)
            )
            for name, value in self.sets.items()
        )

"""The figures of SPEC.md ("Figures") as SQL aggregates: one dictionary of Django aggregates, the same for
every report (a report only chooses the grouping).

PostgreSQL computes the medians and 90th percentiles with ``percentile_cont``; SQLite (the zero-configuration
first run) has no such aggregate, so there the times are ``None`` and only the counts are given (docs/reports.md).
"""

from __future__ import annotations

from django.db.models import Aggregate, Count, F, FloatField, Func, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, ChatEvent, Queue

from .ranges import DateRange


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (two datetime columns) as a float; NULL when either is NULL."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - ",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="", template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile (``percentile_cont``); NULL on other databases."""

    name = "percentile"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = float(fraction)
        super().__init__(expression, **extra)

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor != "postgresql":
            return "NULL", []
        sql, params = compiler.compile(self.get_source_expressions()[0])
        return f"percentile_cont({self.fraction!r}) WITHIN GROUP (ORDER BY {sql})", params

    def get_group_by_cols(self):
        return []


WAIT = Seconds("first_assigned_at", "queued_at")
FIRST_RESPONSE = Seconds("first_response_at", "first_assigned_at")
HANDLING = Seconds("closed_at", "first_assigned_at")
DEFAULT_TARGET = Queue._meta.get_field("answer_target_seconds").default

# The columns of every report, in order: code (stable, the API's and the CSV's key) and heading.
COUNTS = (
    ("started", _("Started")),
    ("answered", _("Answered")),
    ("answered_within_target", _("Answered within target")),
    ("missed", _("Missed")),
    ("abandoned", _("Abandoned")),
    ("transferred", _("Transferred")),
)
TIMES = (
    ("wait_median", _("Wait, median (s)")),
    ("wait_p90", _("Wait, 90th percentile (s)")),
    ("first_response_median", _("First response, median (s)")),
    ("first_response_p90", _("First response, 90th percentile (s)")),
    ("handling_median", _("Handling, median (s)")),
    ("handling_p90", _("Handling, 90th percentile (s)")),
)
MEASURES = COUNTS + TIMES
COUNT_CODES = tuple(code for code, _label in COUNTS)
TIME_CODES = tuple(code for code, _label in TIMES)


def chats_in(period: DateRange, *, queue_id: int | None = None, channel: str | None = None):
    """The chats a report counts: started (``created_at``) within the range, internal chats never."""
    chats = Chat.objects.filter(created_at__gte=period.start, created_at__lt=period.end).exclude(
        channel=Chat.Channel.INTERNAL
    )
    if queue_id is not None:
        chats = chats.filter(queue_id=queue_id)
    if channel:
        chats = chats.filter(channel=channel)
    return chats.order_by()


def measures(period: DateRange) -> dict:
    """The aggregates of SPEC.md "Figures" (names are ``MEASURES``' codes)."""
    # Transferred: the chat has a TRANSFERRED event. An IN over the events since the range began (a transfer
    # comes after the start of the chat): PostgreSQL hashes the subquery once instead of probing per chat.
    transferred = ChatEvent.objects.filter(kind=ChatEvent.Kind.TRANSFERRED, created_at__gte=period.start).values(
        "chat_id"
    )
    closed = Q(status=Chat.Status.CLOSED)
    target = Coalesce(F("queue__answer_target_seconds"), Value(DEFAULT_TARGET))
    return {
        "started": Count("id"),
        "answered": Count("id", filter=Q(first_response_at__isnull=False)),
        "answered_within_target": Count(
            "id", filter=LessThanOrEqual(Seconds("first_response_at", "queued_at"), target)
        ),
        "missed": Count("id", filter=closed & Q(first_assigned_at__isnull=False, first_response_at__isnull=True)),
        "abandoned": Count("id", filter=closed & Q(first_assigned_at__isnull=True)),
        "transferred": Count("id", filter=Q(id__in=transferred)),
        "wait_median": Percentile(WAIT, 0.5),
        "wait_p90": Percentile(WAIT, 0.9),
        "first_response_median": Percentile(FIRST_RESPONSE, 0.5),
        "first_response_p90": Percentile(FIRST_RESPONSE, 0.9),
        "handling_median": Percentile(HANDLING, 0.5),
        "handling_p90": Percentile(HANDLING, 0.9),
    }


def tidy(row: dict) -> dict:
    """Counts as ints, times rounded to a tenth of a second (the page, the CSV and the API show these)."""
    out = {code: int(row.get(code) or 0) for code in COUNT_CODES}
    for code in TIME_CODES:
        value = row.get(code)
        out[code] = None if value is None else round(float(value), 1)
    return out


def empty() -> dict:
    return tidy({})

"""The figures of SPEC.md ("Figures") as SQL aggregates: one dictionary of Django aggregates, the same for
every report (a report only chooses the grouping).

PostgreSQL computes the medians and 90th percentiles with ``percentile_cont``; SQLite (the zero-configuration
first run) has no such aggregate, so there the times are ``None`` and only the counts are given (docs/reports.md).
"""

from __future__ import annotations

from django.db.models import Aggregate, Avg, Case, Count, Field, FloatField, Func, Q, Value, When
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from chat.models import Chat, ChatEvent, Queue

from .ranges import DateRange


class Seconds(Func):
    """Seconds from ``start`` to ``end`` (two datetime columns) as a float; NULL when either is NULL."""

    output_field = FloatField()

    def __init__(self, end, start, **extra):
        super().__init__(end, start, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        # date_part, not EXTRACT: a float8, where EXTRACT answers a numeric (about a third slower over 1M chats).
        return self.as_sql(compiler, connection, template="date_part('epoch', %(expressions)s)", arg_joiner=" - ",
                           **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="", template="((julianday(%(expressions)s)) * 86400.0)",
                           arg_joiner=") - julianday(", **extra)


class Percentiles(Aggregate):
    """PostgreSQL's continuous median and 90th percentile in one sort (``percentile_cont(ARRAY[0.5, 0.9])``), as a
    list of two floats; NULL on other databases."""

    name = "percentiles"
    output_field = Field()  # a float8[]: psycopg answers a list; no converter
    allow_distinct = False
    FRACTIONS = (0.5, 0.9)

    def as_sql(self, compiler, connection, **extra):
        if connection.vendor != "postgresql":
            return "NULL", []
        sql, params = compiler.compile(self.get_source_expressions()[0])
        fractions = ", ".join(repr(f) for f in self.FRACTIONS)
        return f"percentile_cont(ARRAY[{fractions}]::float8[]) WITHIN GROUP (ORDER BY {sql})", params


WAIT = Seconds("first_assigned_at", "queued_at")
FIRST_RESPONSE = Seconds("first_response_at", "first_assigned_at")
HANDLING = Seconds("closed_at", "first_assigned_at")
DEFAULT_TARGET = Queue._meta.get_field("answer_target_seconds").default

# The columns of every report, in order: code (stable, the API's and the CSV's key) and heading.
COUNTS = (
    ("started", pgettext_lazy("report column", "Started")),
    ("answered", pgettext_lazy("report column", "Answered")),
    ("answered_within_target", _("Answered within target")),
    ("missed", pgettext_lazy("report column", "Missed")),
    ("abandoned", pgettext_lazy("report column", "Abandoned")),
    ("transferred", pgettext_lazy("report column", "Transferred")),
)
TIMES = (
    ("wait_median", _("Wait, median (s)")),
    ("wait_p90", _("Wait, 90th percentile (s)")),
    ("first_response_median", _("First response, median (s)")),
    ("first_response_p90", _("First response, 90th percentile (s)")),
    ("handling_median", _("Handling, median (s)")),
    ("handling_p90", _("Handling, 90th percentile (s)")),
)
# The visitors' satisfaction ratings (issue 17, docs/ratings.md): how many chats were rated, and their mean score.
RATINGS = (
    ("rated", pgettext_lazy("report column", "Rated")),
    ("rating_average", _("Average rating (1–5)")),
)
MEASURES = COUNTS + TIMES + RATINGS
COUNT_CODES = tuple(code for code, _label in COUNTS) + ("rated",)
TIME_CODES = tuple(code for code, _label in TIMES)
AVERAGE_CODES = ("rating_average",)


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


def answered_within_target():
    """SPEC.md's "answered within target": the first agent message within the chat's queue's answer target
    (``Queue.answer_target_seconds``) of its queueing; a condition on Chat rows (the reports, the live floor).

    The queue's target as a CASE over the few queues whose target is not the default: no join of the queues
    (a quarter of the time of a report over 1M chats)."""
    targets: dict[int, list[int]] = {}
    for queue_id, seconds in Queue.objects.exclude(answer_target_seconds=DEFAULT_TARGET).values_list(
        "pk", "answer_target_seconds"
    ):
        targets.setdefault(seconds, []).append(queue_id)
    target = Case(
        *[When(queue_id__in=ids, then=Value(seconds)) for seconds, ids in sorted(targets.items())],
        default=Value(DEFAULT_TARGET),
    ) if targets else Value(DEFAULT_TARGET)
    return LessThanOrEqual(Seconds("first_response_at", "queued_at"), target)


def measures(period: DateRange) -> dict:
    """The aggregates of SPEC.md "Figures" (names are ``MEASURES``' codes)."""
    # Transferred: the chat has a TRANSFERRED event. An IN over the events since the range began (a transfer
    # comes after the start of the chat): PostgreSQL hashes the subquery once instead of probing per chat.
    transferred = ChatEvent.objects.filter(kind=ChatEvent.Kind.TRANSFERRED, created_at__gte=period.start).values(
        "chat_id"
    )
    closed = Q(status=Chat.Status.CLOSED)
    return {
        "started": Count("id"),
        "answered": Count("id", filter=Q(first_response_at__isnull=False)),
        "answered_within_target": Count("id", filter=answered_within_target()),
        "missed": Count("id", filter=closed & Q(first_assigned_at__isnull=False, first_response_at__isnull=True)),
        "abandoned": Count("id", filter=closed & Q(first_assigned_at__isnull=True)),
        "transferred": Count("id", filter=Q(id__in=transferred)),
        "wait": Percentiles(WAIT),
        "first_response": Percentiles(FIRST_RESPONSE),
        "handling": Percentiles(HANDLING),
        "rated": Count("id", filter=Q(rating__isnull=False)),
        "rating_average": Avg("rating"),
    }


def tidy(row: dict) -> dict:
    """Counts as ints, times rounded to a tenth of a second, the average rating to a hundredth (the page, the CSV
    and the API show these); an average of no rating is None."""
    out = {code: int(row.get(code) or 0) for code in COUNT_CODES}
    for time in ("wait", "first_response", "handling"):
        values = row.get(time) or (None, None)
        for suffix, value in zip(("median", "p90"), values, strict=True):
            out[f"{time}_{suffix}"] = None if value is None else round(float(value), 1)
    average = row.get("rating_average")
    out["rating_average"] = None if average is None else round(float(average), 2)
    return {code: out[code] for code, _label in MEASURES}


def empty() -> dict:
    return tidy({})

"""One selector per report: the figures of ``figures.measures`` over the chats of a date range, grouped one way.

Every selector returns a :class:`ReportResult`: the range, the rows (``key``, ``label`` and one value per
measure code) and, for the overview, one row of totals. The supervisor's pages, their CSV and the API all call
:func:`report_run`, so they show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F, Func, IntegerField
from django.db.models.functions import Cast, ExtractHour, TruncDate
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from agents.models import User
from chat.models import Chat, Disposition, Queue

from .figures import MEASURES, chats_in, empty, measures, tidy
from .ranges import DateRange, ReportError

REPORT_WORK_MEM = "128MB"


@contextmanager
def report_session():
    """A transaction whose sorts (the groups, the percentiles of a 90-day report) stay in memory, not on disk
    (``work_mem``), that reads a range of chats by a scan, never in an index's order, and in parallel workers
    (PostgreSQL; settings of this transaction only)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'")
                # Never walk the chats in the order of an index on the grouping column (queue, agent, disposition):
                # over 90 days that is a million random reads of the table, twice the time of reading the range and
                # sorting it in memory (docs/reports.md, "Speed"). Bitmap scans (a short range) stay allowed.
                cursor.execute("SET LOCAL enable_indexscan = off")
                # Read and sort the range in parallel workers, merged in order for the groups' aggregates (the
                # percentiles themselves run in one process): PostgreSQL's default costs never choose it for these
                # plans, though it takes a third off a 90-day report (docs/reports.md, "Speed").
                cursor.execute("SET LOCAL parallel_setup_cost = 0")
                cursor.execute("SET LOCAL parallel_tuple_cost = 0.001")
        yield


class BinaryText(Func):
    """A text column compared byte by byte (``COLLATE "C"`` on PostgreSQL): grouping a million rows by a code sorts
    them without the language's collation rules."""

    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template='(%(expressions)s COLLATE "C")', **extra)


@dataclass
class ReportResult:
    name: str
    period: DateRange
    dimension: str  # the heading of the key column
    rows: list[dict] = field(default_factory=list)
    queue_id: int | None = None
    channel: str | None = None

    @property
    def columns(self) -> tuple:
        return MEASURES


def _grouped(period: DateRange, key, *, queue_id=None, channel=None) -> dict:
    """{group key: tidy measures} with one SQL query (GROUP BY ``key``)."""
    rows = (
        chats_in(period, queue_id=queue_id, channel=channel)
        .annotate(group_key=key)
        .values("group_key")
        .annotate(**measures(period))
        .order_by()
    )
    return {row["group_key"]: tidy(row) for row in rows}


def _row(key, label, figures: dict) -> dict:
    return {"key": key, "label": str(label), **figures}


def report_overview(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Every chat of the range in one row."""
    figures = chats_in(period, queue_id=queue_id, channel=channel).aggregate(**measures(period))
    return [_row("all", _("All chats"), tidy(figures))]


def report_by_hour(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per hour of the day (0–23) the chat started, in the site's time zone; every hour listed."""
    # An integer key: EXTRACT answers a numeric, and sorting a million numerics is several times slower.
    hour = Cast(ExtractHour("created_at", tzinfo=period.zone), output_field=IntegerField())
    found = _grouped(period, hour, queue_id=queue_id, channel=channel)
    return [_row(hour, f"{hour:02d}:00", found.get(hour) or empty()) for hour in range(24)]


def report_by_day(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per day the chat started, in the site's time zone; every day of the range listed."""
    found = _grouped(period, TruncDate("created_at", tzinfo=period.zone), queue_id=queue_id, channel=channel)
    return [_row(day.isoformat(), day.isoformat(), found.get(day) or empty()) for day in period.days]


def report_by_queue(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per queue the chat is in now (a transfer to another queue moves the chat); queues without chats omitted."""
    found = _grouped(period, F("queue_id"), queue_id=queue_id, channel=channel)
    names = dict(Queue.objects.filter(pk__in=[k for k in found if k is not None]).values_list("pk", "name"))
    rows = sorted(((names.get(k, ""), k) for k in found if k is not None), key=lambda item: (item[0].lower(), item[1]))
    out = [_row(k, name, found[k]) for name, k in rows]
    if None in found:
        out.append(_row(None, _("No queue"), found[None]))
    return out


def report_by_agent(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per agent: the chat's last agent (``Chat.agent``, who held it when it closed or holds it now); a chat
    never assigned (abandoned, still waiting) counts under "No agent"."""
    found = _grouped(period, F("agent_id"), queue_id=queue_id, channel=channel)
    users = {u.pk: u.display_name for u in User.objects.filter(pk__in=[k for k in found if k is not None])}
    rows = sorted(((users.get(k, ""), k) for k in found if k is not None), key=lambda item: (item[0].lower(), item[1]))
    out = [_row(k, name, found[k]) for name, k in rows]
    if None in found:
        out.append(_row(None, _("No agent"), found[None]))
    return out


def report_by_channel(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per channel (website, Messenger); internal chats count in no report."""
    found = _grouped(period, BinaryText("channel"), queue_id=queue_id, channel=channel)
    return [
        _row(code, label, found[code]) for code, label in Chat.Channel.choices if code in found
    ]


def report_by_disposition(period: DateRange, *, queue_id=None, channel=None) -> list[dict]:
    """Per close disposition (what the conversation was about); chats without one under "No disposition"."""
    found = _grouped(period, F("disposition_id"), queue_id=queue_id, channel=channel)
    out = [
        _row(d.pk, d.name, found[d.pk])
        for d in Disposition.objects.filter(pk__in=[k for k in found if k is not None]).order_by("order", "name")
    ]
    if None in found:
        out.append(_row(None, _("No disposition"), found[None]))
    return out


@dataclass(frozen=True)
class Report:
    name: str  # the stable code in URLs and the API
    title: object  # translatable
    dimension: object  # the heading of the key column
    description: object
    selector: Callable[..., list[dict]]
    chart: str  # "columns" (a time axis) or "bars" (categories)


REPORTS: dict[str, Report] = {
    r.name: r
    for r in (
        Report("overview", _("Overview"), _("Chats"), _("Every chat of the range: the totals."),
               report_overview, "bars"),
        Report("hours", _("Per hour of the day"), pgettext_lazy("report", "Hour"),
               _("Chats by the hour of the day they started (site time zone)."), report_by_hour, "columns"),
        Report("days", _("Per day"), pgettext_lazy("report", "Day"),
               _("Chats by the day they started (site time zone)."), report_by_day, "columns"),
        Report("queues", _("Per queue"), _("Queue"), _("Chats by the queue they are in."), report_by_queue, "bars"),
        Report("agents", _("Per agent"), _("Agent"), _("Chats by their last agent."), report_by_agent, "bars"),
        Report("channels", _("Per channel"), _("Channel"), _("Chats by channel (internal chats excluded)."),
               report_by_channel, "bars"),
        Report("dispositions", _("Per disposition"), _("Disposition"),
               _("Chats by the disposition chosen when they were closed."), report_by_disposition, "bars"),
    )
}


def report_get(name: str) -> Report:
    try:
        return REPORTS[name]
    except KeyError:
        raise ReportError(_("There is no such report."), code="not_found") from None


def report_run(
    name: str, period: DateRange, *, queue_id: int | None = None, channel: str | None = None
) -> ReportResult:
    """The report ``name`` for ``period`` (optionally one queue's or one channel's chats only)."""
    report = report_get(name)
    if channel and channel not in {Chat.Channel.WEBSITE, Chat.Channel.MESSENGER}:
        raise ReportError(_("Choose the website or Messenger channel."), field="channel", code="invalid")
    with report_session():
        rows = report.selector(period, queue_id=queue_id, channel=channel or None)
    return ReportResult(
        name=name, period=period, dimension=str(report.dimension), rows=rows, queue_id=queue_id, channel=channel or None
    )

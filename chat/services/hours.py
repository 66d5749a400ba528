"""Business hours (issue 17): one place that answers "is this queue open at this moment?" and the questions that
follow from it. The widget, Messenger, the release of held chats and the timed rules all ask here.

A queue without business hours (``Queue.business_hours`` off) is always open. With them, it is open in the
intervals of its weekly schedule (``OpeningHours``, local time of ``Queue.time_zone``), except on a date that has
exceptions (``HoursException``): a date closed all day has none, a date with exception intervals has exactly those.
Intervals of one day may touch or overlap (they are merged); 00:00 as a closing time is midnight at the end of the
day, so 22:00–00:00 on Monday and 00:00–06:00 on Tuesday are one opening.

The arithmetic itself (``Schedule``: intervals in UTC, the days the clocks change) lives with the models, in
``chat.models.schedule``, so that the selectors (which may not import the services) read a held chat's next opening
with the same code; it is re-exported here. The rules of writing a schedule (``hours_problems``, ``queue_hours_set``)
are below: the admin and the API both call them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, User
from chat.models import HoursException, OpeningHours, Queue, QueueMembership
from chat.models.queues import available_time_zones, interval_valid
from chat.models.schedule import HORIZON_DAYS, MIDNIGHT, Interval, Schedule
from core.services import model_full_clean

from .errors import ChatError
from .live.publish import live_settings

# Why a queue takes no live chat at a moment (``offline_reason``): "" = it takes live chats.
LIVE, CLOSED, NO_AGENTS = "", "closed", "no_agents"

__all__ = [
    "CLOSED", "HORIZON_DAYS", "HOURS_FIELDS", "LIVE", "NO_AGENTS", "NO_WEEKLY_HOURS", "ExceptionRow", "HoursProblem",
    "Interval", "Schedule", "WeeklyRow", "exception_problems", "is_open", "next_opening", "offline_reason",
    "open_seconds", "queue_has_agent_logged_in", "queue_hours_set", "schedule_check", "time_zone_problem",
    "weekly_problems",
]


# --- the one entry point of each question -------------------------------------------------------------------


def is_open(queue: Queue, at: dt.datetime | None = None) -> bool:
    """Is ``queue`` within its business hours at ``at`` (now by default)? Always, when it has none."""
    return Schedule.of(queue).is_open(at or timezone.now())


def next_opening(queue: Queue, at: dt.datetime | None = None) -> dt.datetime | None:
    """``at`` (now) when open; else when it next opens; None when it does not within HORIZON_DAYS."""
    return Schedule.of(queue).next_opening(at or timezone.now())


def open_seconds(queue: Queue, start: dt.datetime, end: dt.datetime) -> float:
    """The seconds of [start, end) within ``queue``'s business hours (all of them, without business hours)."""
    return Schedule.of(queue).open_seconds(start, end)


def queue_has_agent_logged_in(queue: Queue) -> bool:
    """Is any active member of ``queue`` logged in (paused or not)?"""
    agents = User.objects.filter(ACTIVE_AGENT.q(), presence__logged_in=True)
    return QueueMembership.objects.filter(queue=queue, agent__in=agents).exists()


def offline_reason(queue: Queue, at: dt.datetime | None = None, *, schedule: Schedule | None = None) -> str:
    """Why ``queue`` takes no live chat at ``at`` (now): CLOSED (outside business hours), NO_AGENTS (nobody of it
    logged in, when the queue says that makes it offline), or LIVE (""). ``schedule``: the queue's, already read."""
    if not (schedule or Schedule.of(queue)).is_open(at or timezone.now()):
        return CLOSED
    if queue.offline_without_agents and not queue_has_agent_logged_in(queue):
        return NO_AGENTS
    return LIVE


# --- writing a schedule: the rules the admin and the API share -------------------------------------------------

# The queue fields of business hours (``queue_hours_set``, and ``queue_update`` with the same check).
HOURS_FIELDS = ("business_hours", "time_zone", "offline_without_agents", "offline_reply")


NO_WEEKLY_HOURS = _("Business hours are on but the week has no opening: add at least one weekly opening, or "
                    "switch business hours off.")


@dataclass(frozen=True)
class WeeklyRow:
    """One interval of the weekly schedule (``OpeningHours``): 0 = Monday … 6 = Sunday."""

    weekday: int
    opens: dt.time
    closes: dt.time


@dataclass(frozen=True)
class ExceptionRow:
    """One dated exception (``HoursException``): closed all day, or one interval of that day."""

    date: dt.date
    closed: bool = False
    opens: dt.time | None = None
    closes: dt.time | None = None
    note: str = ""


@dataclass(frozen=True)
class HoursProblem:
    """What is wrong with a schedule: ``index`` is the row's place in its list (None: the list as a whole),
    ``field`` the row's field when one is at fault."""

    index: int | None
    field: str | None
    message: str
    code: str = "invalid"  # "overlap", "no_weekly_hours" or "invalid"


def _end(closes: dt.time) -> tuple[int, int, int]:
    """A closing time as a point of its day: 00:00 is the end of the day (24:00)."""
    return (24, 0, 0) if closes == MIDNIGHT else (closes.hour, closes.minute, closes.second)


def _hm(t: dt.time) -> str:
    return f"{t:%H:%M}"


def _overlaps(rows: list[tuple[int, dt.time, dt.time]], name: str) -> list[HoursProblem]:
    """``(index, opens, closes)`` of one day, the valid ones: an interval that begins before the one before it
    ends overlaps it (touching — 12:00 then 12:00 — is one opening, allowed)."""
    problems = []
    ordered = sorted(rows, key=lambda r: (r[1], _end(r[2])))
    for (_i, opens_a, closes_a), (index, opens_b, closes_b) in zip(ordered, ordered[1:], strict=False):
        if (opens_b.hour, opens_b.minute, opens_b.second) < _end(closes_a):
            problems.append(HoursProblem(index, "opens", _(
                "The hours of %(day)s overlap: %(a)s and %(b)s. Merge them into one interval or correct one."
            ) % {"day": name, "a": f"{_hm(opens_a)}–{_hm(closes_a)}", "b": f"{_hm(opens_b)}–{_hm(closes_b)}"},
                "overlap"))
    return problems


def weekly_problems(rows: list[WeeklyRow], *, business_hours: bool) -> list[HoursProblem]:
    """Each interval closes after it opens (00:00 = midnight at the end of the day); the intervals of one weekday
    do not overlap; with business hours on, at least one interval (a queue open at no time of the week would take
    a live chat never: switch business hours off instead, or keep one interval)."""
    problems = []
    days: dict[int, list] = {}
    for index, row in enumerate(rows):
        name = str(OpeningHours.Weekday(row.weekday).label) if row.weekday in OpeningHours.Weekday.values else "?"
        if row.weekday not in OpeningHours.Weekday.values:
            problems.append(HoursProblem(index, "weekday", _("The day of the week must be 0 (Monday) to 6 (Sunday).")))
        elif not interval_valid(row.opens, row.closes):
            problems.append(HoursProblem(index, "closes", _(
                "%(day)s: the closing time must be after the opening time (00:00 means midnight at the end of the "
                "day)."
            ) % {"day": name}))
        else:
            days.setdefault(row.weekday, []).append((index, row.opens, row.closes))
    for weekday, day_rows in sorted(days.items()):
        problems += _overlaps(day_rows, str(OpeningHours.Weekday(weekday).label))
    if business_hours and not rows:
        problems.append(HoursProblem(None, None, NO_WEEKLY_HOURS, "no_weekly_hours"))
    return problems


def exception_problems(rows: list[ExceptionRow]) -> list[HoursProblem]:
    """A date closed all day has no times (and no interval besides); a date with hours has both times, the
    closing after the opening; the intervals of one date do not overlap. A date in the past is allowed (it no
    longer changes anything)."""
    problems = []
    dates: dict[dt.date, list] = {}
    closed: dict[dt.date, int] = {}
    for index, row in enumerate(rows):
        day = f"{row.date:%Y-%m-%d}"
        if row.closed:
            if row.opens is not None or row.closes is not None:
                problems.append(HoursProblem(index, "closed", _(
                    "%(date)s: a day closed all day has no opening or closing time; clear the times or untick "
                    "“closed all day”."
                ) % {"date": day}))
            elif row.date in closed:
                problems.append(HoursProblem(index, "date", _("%(date)s is closed all day twice.") % {"date": day}))
            else:
                closed[row.date] = index
            continue
        if row.opens is None or row.closes is None:
            problems.append(HoursProblem(index, "opens" if row.opens is None else "closes", _(
                "%(date)s: give the opening and the closing time, or tick “closed all day”."
            ) % {"date": day}))
        elif not interval_valid(row.opens, row.closes):
            problems.append(HoursProblem(index, "closes", _(
                "%(date)s: the closing time must be after the opening time (00:00 means midnight at the end of the "
                "day)."
            ) % {"date": day}))
        else:
            dates.setdefault(row.date, []).append((index, row.opens, row.closes))
    for date, index in closed.items():
        if date in dates:
            problems.append(HoursProblem(index, "closed", _(
                "%(date)s is closed all day and also has opening hours: keep one or the other."
            ) % {"date": f"{date:%Y-%m-%d}"}))
    for date, day_rows in sorted(dates.items()):
        problems += _overlaps(day_rows, f"{date:%Y-%m-%d}")
    return problems


def time_zone_problem(name: str) -> str | None:
    """The refusal of an unknown time zone name, or None."""
    if name in available_time_zones():
        return None
    return str(_("Unknown time zone “%(zone)s”; use a name such as Europe/Warsaw.") % {"zone": name})


def _refuse(problems: list[HoursProblem], *, field: str) -> None:
    if problems:
        raise ChatError(problems[0].message, field=field, code=problems[0].code)


def schedule_check(*, queue_id: int) -> None:
    """Refuse (ChatError, field ``business_hours``) a queue whose business hours are on without a weekly opening;
    ``queue_update`` calls it after a change of ``business_hours``."""
    queue = Queue.objects.get(pk=queue_id)
    if queue.business_hours and not OpeningHours.objects.filter(queue_id=queue_id).exists():
        raise ChatError(NO_WEEKLY_HOURS, field="business_hours", code="no_weekly_hours")


def queue_hours_set(
    *, queue_id: int, weekly: list[WeeklyRow] | None = None, exceptions: list[ExceptionRow] | None = None,
    actor=None, **fields,
) -> Queue:
    """Change a queue's business hours at once: any of ``HOURS_FIELDS``, and the weekly schedule and the dated
    exceptions when given (each list replaces the rows it names; None keeps them). All or nothing: the rows and
    the fields are checked together (``weekly_problems``, ``exception_problems``, the time zone) before anything
    changes. Held chats of a queue that is open now (or whose business hours went off) are queued by the release
    rule at its next run (every 30 s)."""
    unknown = sorted(set(fields) - set(HOURS_FIELDS))
    if unknown:
        raise ChatError(_("Unknown field: %(name)s.") % {"name": unknown[0]}, field=unknown[0], code="unknown_field")
    with transaction.atomic():
        queue = Queue.objects.select_for_update().filter(pk=queue_id).first()
        if queue is None:
            raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
        if "time_zone" in fields:
            problem = time_zone_problem(fields["time_zone"])
            if problem:
                raise ChatError(problem, field="time_zone", code="invalid")
        business_hours = fields.get("business_hours", queue.business_hours)
        if weekly is None:
            weekly = [WeeklyRow(r.weekday, r.opens, r.closes) for r in OpeningHours.objects.filter(queue=queue)]
            _refuse(weekly_problems(weekly, business_hours=business_hours), field="business_hours")
        else:
            _refuse(weekly_problems(weekly, business_hours=business_hours), field="weekly")
            OpeningHours.objects.filter(queue=queue).delete()
            OpeningHours.objects.bulk_create(
                [OpeningHours(queue=queue, weekday=r.weekday, opens=r.opens, closes=r.closes) for r in weekly]
            )
        if exceptions is not None:
            _refuse(exception_problems(exceptions), field="exceptions")
            HoursException.objects.filter(queue=queue).delete()
            HoursException.objects.bulk_create([
                HoursException(queue=queue, date=r.date, closed=r.closed, opens=r.opens, closes=r.closes,
                               note=r.note or "")
                for r in exceptions
            ])
        for name, value in fields.items():
            setattr(queue, name, value)
        if fields:
            model_full_clean(queue, error=ChatError)
            queue.save(update_fields=list(fields))
        live_settings()  # every page that shows whether the queue is open
    return Queue.objects.get(pk=queue_id)

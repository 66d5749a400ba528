"""Business hours (issue 17): one place that answers "is this queue open at this moment?" and the questions that
follow from it. The widget, Messenger, the release of held chats and the timed rules all ask here.

A queue without business hours (``Queue.business_hours`` off) is always open. With them, it is open in the
intervals of its weekly schedule (``OpeningHours``, local time of ``Queue.time_zone``), except on a date that has
exceptions (``HoursException``): a date closed all day has none, a date with exception intervals has exactly those.
Intervals of one day may touch or overlap (they are merged); 00:00 as a closing time is midnight at the end of the
day, so 22:00–00:00 on Monday and 00:00–06:00 on Tuesday are one opening.

Local times that do not exist or exist twice (the change to and from summer time) are read as ``zoneinfo`` reads
them (``fold=0``): an opening at 02:30 on the night the clocks go forward is at 03:30 summer time.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.utils import timezone

from agents.models import ACTIVE_AGENT, User
from chat.models import HoursException, OpeningHours, Queue, QueueMembership

# How far ahead ``next_opening`` looks (and how far back ``closed_since``) before it says "never".
HORIZON_DAYS = 400

# Why a queue takes no live chat at a moment (``offline_reason``): "" = it takes live chats.
LIVE, CLOSED, NO_AGENTS = "", "closed", "no_agents"

Interval = tuple[dt.datetime, dt.datetime]


@dataclass
class Schedule:
    """A queue's business hours, read once (two queries, or none when prefetched): ask it as often as needed."""

    queue: Queue
    weekly: dict[int, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)
    exceptions: dict[dt.date, list[tuple[dt.time, dt.time]]] = field(default_factory=dict)

    @classmethod
    def of(cls, queue: Queue) -> Schedule:
        schedule = cls(queue)
        if not queue.business_hours:
            return schedule
        for row in _rows(queue, "opening_hours", OpeningHours):
            schedule.weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
        for row in _rows(queue, "hours_exceptions", HoursException):
            day = schedule.exceptions.setdefault(row.date, [])
            if not row.closed:
                day.append((row.opens, row.closes))
        return schedule

    @property
    def always_open(self) -> bool:
        return not self.queue.business_hours

    @cached_property
    def zone(self) -> dt.tzinfo:
        try:
            return zoneinfo.ZoneInfo(self.queue.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # the admin refuses it; a row written around it
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    # -- the intervals ---------------------------------------------------------------------------------------

    def day_intervals(self, day: dt.date) -> list[Interval]:
        """The opening intervals of the local date ``day``, as aware datetimes, merged and in order."""
        times = self.exceptions[day] if day in self.exceptions else self.weekly.get(day.weekday(), [])
        intervals = []
        for opens, closes in times:
            start = dt.datetime.combine(day, opens, tzinfo=self.zone)
            end_day = day + dt.timedelta(days=1) if closes == dt.time(0, 0) else day
            end = dt.datetime.combine(end_day, closes, tzinfo=self.zone)
            if end > start:
                intervals.append((start, end))
        return _merged(intervals)

    def intervals(self, start: dt.datetime, end: dt.datetime) -> list[Interval]:
        """The opening intervals that overlap [start, end), clipped to it, merged across midnight."""
        if end <= start:
            return []
        if self.always_open:
            return [(start, end)]
        day, last = self._local_date(start) - dt.timedelta(days=1), self._local_date(end)
        found = []
        while day <= last:
            for a, b in self.day_intervals(day):
                if b > start and a < end:
                    found.append((max(a, start), min(b, end)))
            day += dt.timedelta(days=1)
        return _merged(found)

    # -- the questions -----------------------------------------------------------------------------------------

    def is_open(self, at: dt.datetime) -> bool:
        if self.always_open:
            return True
        return any(a <= at < b for a, b in self.day_intervals(self._local_date(at)))

    def next_opening(self, at: dt.datetime) -> dt.datetime | None:
        """``at`` when open then; else the start of the next opening; None when none within HORIZON_DAYS."""
        if self.is_open(at):
            return at
        day = self._local_date(at)
        for _ in range(HORIZON_DAYS):
            for a, _b in self.day_intervals(day):
                if a > at:
                    return a
            day += dt.timedelta(days=1)
        return None

    def closed_since(self, at: dt.datetime) -> dt.datetime | None:
        """When the closed period that holds ``at`` began (the end of the last opening); None when open at ``at``
        or not open at all within HORIZON_DAYS before it."""
        if self.is_open(at):
            return None
        day = self._local_date(at)
        for _ in range(HORIZON_DAYS):
            ends = [b for _a, b in self.day_intervals(day) if b <= at]
            if ends:
                return max(ends)
            day -= dt.timedelta(days=1)
        return None

    def open_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        """How many seconds of [start, end) the queue was open."""
        return sum((b - a).total_seconds() for a, b in self.intervals(start, end))

    def open_since(self, start: dt.datetime, seconds: float, *, limit: dt.datetime) -> dt.datetime | None:
        """The moment at which ``seconds`` of business hours have passed since ``start`` (None if not by
        ``limit``): when a timed limit counted in business hours runs out."""
        left = seconds
        for a, b in self.intervals(start, limit):
            length = (b - a).total_seconds()
            if length >= left:
                return a + dt.timedelta(seconds=left)
            left -= length
        return None

    def _local_date(self, at: dt.datetime) -> dt.date:
        return at.astimezone(self.zone).date()


def _rows(queue: Queue, name: str, model):
    cache = getattr(queue, "_prefetched_objects_cache", {})
    return list(cache[name]) if name in cache else list(model.objects.filter(queue=queue))


def _merged(intervals: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


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


def offline_reason(queue: Queue, at: dt.datetime | None = None) -> str:
    """Why ``queue`` takes no live chat at ``at`` (now): CLOSED (outside business hours), NO_AGENTS (nobody of it
    logged in, when the queue says that makes it offline), or LIVE ("")."""
    if not is_open(queue, at):
        return CLOSED
    if queue.offline_without_agents and not queue_has_agent_logged_in(queue):
        return NO_AGENTS
    return LIVE

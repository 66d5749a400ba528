"""A queue's business hours as arithmetic on time (``Schedule``): "is it open at this moment?", "when does it open
next?", "how many seconds of [a, b) was it open?" and the way back, "from when did X seconds of business hours pass
by b?". Pure computation over the queue's rows (``OpeningHours``, ``HoursException``), so that every layer asks it:
the services (``chat.services.hours``, the entry points, re-exports it), the timed rules, and the selectors that
tell a held chat's next opening (the inbox, the live floor), which may not import the services.

A queue without business hours (``Queue.business_hours`` off) is always open. With them, it is open in the
intervals of its weekly schedule (local time of ``Queue.time_zone``), except on a date that has exceptions: a date
closed all day has none, a date with exception intervals has exactly those. Intervals of one day may touch or
overlap (they are merged); 00:00 as a closing time is midnight at the end of the day, so 22:00–00:00 on Monday and
00:00–06:00 on Tuesday are one opening.

Every interval is turned into UTC as soon as it is built: Python compares and subtracts two datetimes of the same
``tzinfo`` on their wall clocks, which is wrong by an hour on the days the clocks change (00:00–06:00 on the night
of the change to summer time is five hours, not six). Local times that do not exist or exist twice are read as
``zoneinfo`` reads them (``fold=0``): an opening at 02:30 on the night the clocks go forward is at 03:30 summer
time; 02:00–03:00 that night is no time at all; on the night they go back it is two hours.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings

from .queues import HoursException, OpeningHours, Queue

# How far ahead ``next_opening`` looks (and how far back ``closed_since``) before it says "never".
HORIZON_DAYS = 400

Interval = tuple[dt.datetime, dt.datetime]
UTC = dt.UTC
MIDNIGHT = dt.time(0, 0)


@dataclass
class Schedule:
    """A queue's business hours, read once (two queries, or none when prefetched): ask it as often as needed.
    Every datetime it returns is aware, in UTC (``local()`` shows one in the queue's zone)."""

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
            if not row.closed and row.opens is not None and row.closes is not None:
                day.append((row.opens, row.closes))
        return schedule

    @property
    def always_open(self) -> bool:
        return not self.queue.business_hours

    @cached_property
    def zone(self) -> dt.tzinfo:
        try:
            return zoneinfo.ZoneInfo(self.queue.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # the admin and the API refuse it; a row written around
            return zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def local(self, at: dt.datetime) -> dt.datetime:
        """``at`` on the queue's clock."""
        return at.astimezone(self.zone)

    # -- the intervals ---------------------------------------------------------------------------------------

    def day_intervals(self, day: dt.date) -> list[Interval]:
        """The opening intervals of the local date ``day`` (in UTC), merged and in order."""
        times = self.exceptions[day] if day in self.exceptions else self.weekly.get(day.weekday(), [])
        intervals = []
        for opens, closes in times:
            start = dt.datetime.combine(day, opens, tzinfo=self.zone).astimezone(UTC)
            end_day = day + dt.timedelta(days=1) if closes == MIDNIGHT else day
            end = dt.datetime.combine(end_day, closes, tzinfo=self.zone).astimezone(UTC)
            if end > start:
                intervals.append((start, end))
        return _merged(intervals)

    def intervals(self, start: dt.datetime, end: dt.datetime) -> list[Interval]:
        """The opening intervals that overlap [start, end), clipped to it, merged across midnight."""
        if end <= start:
            return []
        if self.always_open:
            return [(start.astimezone(UTC), end.astimezone(UTC))]
        day, last = self._local_date(start) - dt.timedelta(days=1), self._local_date(end)
        found = []
        while day <= last:
            for a, b in self.day_intervals(day):
                if b > start and a < end:
                    found.append((max(a, start.astimezone(UTC)), min(b, end.astimezone(UTC))))
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

    def opened_at(self, at: dt.datetime) -> dt.datetime | None:
        """When the opening that holds ``at`` began (across midnight: 22:00–00:00 then 00:00–06:00 opened at
        22:00); None when closed at ``at``. Looks back at most HORIZON_DAYS (a queue open around the clock)."""
        if self.always_open or not self.is_open(at):
            return None
        start, day = at.astimezone(UTC), self._local_date(at)
        for _ in range(HORIZON_DAYS):
            # An interval of this day that holds ``start``; the day before continues the opening only if one of
            # its intervals ends where this one begins (at midnight).
            found = [a for a, b in self.day_intervals(day) if a <= start <= b]
            if not found:
                break
            start = min(found)
            day -= dt.timedelta(days=1)
        return start

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

    def open_before(self, end: dt.datetime, seconds: float, *, limit: dt.datetime) -> dt.datetime | None:
        """The latest moment ``c`` with ``seconds`` of business hours in [c, end): everything that started at or
        before ``c`` has waited at least ``seconds`` of business hours by ``end`` (the timed rules' cut-off). None
        when [limit, end) does not hold that much (nothing that started at ``limit`` or later is due)."""
        end = end.astimezone(UTC)
        if self.always_open:
            cutoff = end - dt.timedelta(seconds=seconds)
            return cutoff if cutoff >= limit else None
        left, day, first = seconds, self._local_date(end), self._local_date(limit)
        while day >= first:
            for a, b in reversed(self.day_intervals(day)):
                b = min(b, end)
                if b <= a:
                    continue
                length = (b - a).total_seconds()
                if length >= left:
                    cutoff = b - dt.timedelta(seconds=left)
                    return cutoff if cutoff >= limit else None
                left -= length
            day -= dt.timedelta(days=1)
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


def time_zone_names() -> list[str]:
    """The zone names a queue may use, sorted (the admin's select, the API's check)."""
    return sorted(zoneinfo.available_timezones())

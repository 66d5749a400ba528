"""Fixtures of the business-hours tests (issue 17): schedules written in the local time of a zone, queues with
their hours stored as the admin and the API store them, a frozen clock."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat.models import HoursException, OpeningHours, Queue
from chat.models.schedule import Schedule
from tests import factories

WARSAW = ZoneInfo("Europe/Warsaw")
NEW_YORK = ZoneInfo("America/New_York")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)
# Monday 2 March 2026 (winter time in Warsaw, UTC+1; New York already on summer time from 8 March).
WEEK = {day: dt.date(2026, 3, 2) + dt.timedelta(days=day) for day in range(7)}


def hm(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def span(text: str) -> tuple[dt.time, dt.time]:
    """``"08:00-16:00"`` -> (08:00, 16:00)."""
    opens, closes = text.split("-")
    return hm(opens), hm(closes)


def local(day: dt.date, time: str, zone=WARSAW) -> dt.datetime:
    """A moment on a zone's clock (``fold=0`` on the nights the clocks change), as an aware datetime."""
    return dt.datetime.combine(day, hm(time), tzinfo=zone)


def schedule(weekly: dict[int, list[str]] | None = None, exceptions: dict[dt.date, list[str]] | None = None,
             zone: str = "Europe/Warsaw") -> Schedule:
    """A schedule built in memory (no database): ``weekly={MON: ["08:00-16:00"]}``, ``exceptions={date: []}``
    (an empty list: closed all day)."""
    queue = Queue(name="In memory", business_hours=True, time_zone=zone)
    return Schedule(
        queue,
        weekly={day: [span(s) for s in spans] for day, spans in (weekly or {}).items()},
        exceptions={date: [span(s) for s in spans] for date, spans in (exceptions or {}).items()},
    )


OFFICE = {day: ["08:00-16:00"] for day in (MON, TUE, WED, THU, FRI)}


@pytest.fixture
def hours_queue(db):
    """``hours_queue(weekly={MON: ["08:00-16:00"]}, exceptions=[(date, "closed" | "10:00-14:00")], zone=…)``:
    a queue with business hours on and these rows."""

    def make(*, weekly=None, exceptions=(), zone="Europe/Warsaw", name=None, **fields) -> Queue:
        queue = factories.QueueFactory(
            **({"name": name} if name else {}), business_hours=True, time_zone=zone, **fields
        )
        for day, spans in (OFFICE if weekly is None else weekly).items():
            for text in spans:
                opens, closes = span(text)
                OpeningHours.objects.create(queue=queue, weekday=day, opens=opens, closes=closes)
        for date, what in exceptions:
            if what == "closed":
                HoursException.objects.create(queue=queue, date=date, closed=True)
            else:
                opens, closes = span(what)
                HoursException.objects.create(queue=queue, date=date, opens=opens, closes=closes)
        return queue

    return make


@pytest.fixture
def frozen(time_machine):
    """``frozen(moment)`` stops the clock at ``moment`` (aware) and returns ``timezone.now()``."""

    def at(moment: dt.datetime) -> dt.datetime:
        time_machine.move_to(moment, tick=False)
        return timezone.now()

    return at

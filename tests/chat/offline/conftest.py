"""Fixtures of the offline-message tests (issue 17): a queue with business hours (Monday to Friday, 08:00–16:00,
Warsaw time) and a frozen clock on a Saturday noon, when it is closed."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from rest_framework.test import APIClient

from chat.models import OpeningHours
from tests import factories
from tests.chat.api.fixtures import *  # noqa: F401,F403

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
SATURDAY_NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=WARSAW)
MONDAY_OPENING = dt.datetime(2026, 12, 7, 8, 0, tzinfo=WARSAW)
KEY = "offline-visitor-key-0123"


@pytest.fixture
def clock(time_machine):
    """``clock(moment)`` freezes the time there (Saturday noon at first) and returns it."""

    def at(moment: dt.datetime) -> dt.datetime:
        time_machine.move_to(moment, tick=False)
        return moment

    at(SATURDAY_NOON)
    return at


def business_hours(queue, *, weekdays=range(5), opens=dt.time(8), closes=dt.time(16)):
    queue.business_hours = True
    queue.time_zone = "Europe/Warsaw"
    queue.save()
    for weekday in weekdays:
        OpeningHours.objects.create(queue=queue, weekday=weekday, opens=opens, closes=closes)
    return queue


@pytest.fixture
def queue(db):
    """Sales, with business hours Monday to Friday 08:00–16:00 (closed at the frozen Saturday noon)."""
    return business_hours(factories.QueueFactory(name="Sales"))


@pytest.fixture
def visitor():
    return APIClient()


@pytest.fixture
def eager(settings):
    """Tasks run in this process (the acknowledgement is sent after the commit, dispatch runs)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def offline_form(target, **fields):
    data = {"name": "Zofia Nowak", "email": "zofia@example.com", "message": "Czy dostarczacie w niedzielę?\nPozdrawiam",
            "queue": target.pk, "page": "https://shop.example.com/", "visitor_key": KEY}
    data.update(fields)
    return {name: value for name, value in data.items() if value is not None}

"""Shared by the tests of Messenger outside business hours (chat/messenger/offline.py): a queue open Monday to
Friday 08:00–16:00 in Warsaw, and the moments of two weekends (January 2027: the 8th is a Friday)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from chat.models import ChatEvent, OpeningHours

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")


def at(day: int, hour: int, minute: int = 0, month: int = 1) -> dt.datetime:
    return dt.datetime(2027, month, day, hour, minute, tzinfo=WARSAW)


THURSDAY_EVENING = at(7, 17)
FRIDAY_NIGHT = at(8, 20)
SATURDAY = at(9, 10)
MONDAY_EARLY = at(11, 6, 30)
MONDAY_OPENING = at(11, 8)
MONDAY_MORNING = at(11, 9)
NEXT_FRIDAY_NIGHT = at(15, 20)


def office_hours(queue, **fields):
    """``queue`` open Monday to Friday, 08:00–16:00 (Europe/Warsaw)."""
    for name, value in {"business_hours": True, "time_zone": "Europe/Warsaw", **fields}.items():
        setattr(queue, name, value)
    queue.save()
    for weekday in range(5):
        OpeningHours.objects.create(queue=queue, weekday=weekday, opens=dt.time(8), closes=dt.time(16))
    return queue


def texts(graph) -> list[str]:
    return [request["json"]["message"]["text"] for request in graph.requests]


def replies(chat) -> list[ChatEvent]:
    return list(ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.OFFLINE_REPLY_SENT).order_by("id"))

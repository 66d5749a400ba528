"""Is a queue live for the website widget, and how to tell a visitor when it opens (issue 17).

``queue_availability`` answers the widget's first question (``GET /widget/v1/config/``): live, or offline with
its reason (``hours.offline_reason``: "closed" outside business hours, "no_agents" when nobody of the queue is
logged in and the queue says that makes it offline) and the next opening. The sentences are written here, in the
active language, with the opening in the queue's own time zone: "We are closed now. We open on Monday at 08:00."
The acknowledgement e-mail of an offline message says the same opening in its own words
(``opening_phrase``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import dateformat, timezone
from django.utils.translation import gettext, pgettext

from chat.models import Queue

from .hours import CLOSED, LIVE, NO_AGENTS, Schedule, offline_reason

# An opening within this many days is named by its weekday ("on Monday"); a later one by its date.
WEEKDAY_DAYS = 6


@dataclass(frozen=True)
class QueueAvailability:
    queue: Queue
    reason: str  # hours.LIVE (""), hours.CLOSED or hours.NO_AGENTS
    next_opening: dt.datetime | None  # when closed: the next opening (None: none within the horizon)
    zone: dt.tzinfo

    @property
    def live(self) -> bool:
        return self.reason == LIVE

    @property
    def text(self) -> str:
        """The widget's sentence about it, in the active language ("" when live)."""
        return availability_text(self)


def queue_availability(queue: Queue, at: dt.datetime | None = None) -> QueueAvailability:
    """The queue's state for the widget at ``at`` (now): ``hours.offline_reason``'s rule, with the next opening
    read from the same schedule (one read of the business hours, one query for the agents when needed)."""
    at = at or timezone.now()
    schedule = Schedule.of(queue)
    reason = offline_reason(queue, at, schedule=schedule)
    opens = schedule.next_opening(at) if reason == CLOSED else None
    return QueueAvailability(queue, reason, opens, schedule.zone)


WEEKDAY_PHRASES = (
    lambda: pgettext("opening", "on Monday at %(time)s"),
    lambda: pgettext("opening", "on Tuesday at %(time)s"),
    lambda: pgettext("opening", "on Wednesday at %(time)s"),
    lambda: pgettext("opening", "on Thursday at %(time)s"),
    lambda: pgettext("opening", "on Friday at %(time)s"),
    lambda: pgettext("opening", "on Saturday at %(time)s"),
    lambda: pgettext("opening", "on Sunday at %(time)s"),
)


def opening_phrase(opens: dt.datetime, *, at: dt.datetime, zone: dt.tzinfo) -> str:
    """When the queue opens, as words that follow "We open …" in the active language, relative to ``at`` and in
    the queue's zone: "today at 08:00", "tomorrow at 08:00", "on Monday at 08:00", "on 24 December at 08:00"
    (Polish: "dziś o 08:00", "jutro o 08:00", "w poniedziałek o 08:00", "24 grudnia o 08:00")."""
    local, today = opens.astimezone(zone), at.astimezone(zone).date()
    time = local.strftime("%H:%M")
    days = (local.date() - today).days
    if days <= 0:
        return pgettext("opening", "today at %(time)s") % {"time": time}
    if days == 1:
        return pgettext("opening", "tomorrow at %(time)s") % {"time": time}
    if days <= WEEKDAY_DAYS:
        return WEEKDAY_PHRASES[local.weekday()]() % {"time": time}
    # "j E": the day and the month's name as a date says it (Polish: the genitive, "24 grudnia").
    return pgettext("opening", "on %(date)s at %(time)s") % {"date": dateformat.format(local, "j E"), "time": time}


def availability_text(availability: QueueAvailability, *, at: dt.datetime | None = None) -> str:
    """The widget's sentence: "We are closed now. We open on Monday at 08:00." / "Nobody is available right
    now." ("" when live)."""
    if availability.reason == CLOSED:
        text = gettext("We are closed now.")
        if availability.next_opening is not None:
            when = opening_phrase(availability.next_opening, at=at or timezone.now(), zone=availability.zone)
            text += " " + gettext("We open %(when)s.") % {"when": when}
        return text
    if availability.reason == NO_AGENTS:
        return gettext("Nobody is available to chat right now.")
    return ""


__all__ = ["CLOSED", "LIVE", "NO_AGENTS", "QueueAvailability", "availability_text", "opening_phrase",
           "queue_availability"]

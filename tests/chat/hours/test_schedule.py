"""The arithmetic of business hours (``chat.models.schedule.Schedule``): weekly intervals, several per day, merged
across midnight, 00:00 as the end of the day, dated exceptions, time zones, the days the clocks change, and the
questions the rules ask (next opening, closed since, opened at, open seconds, open since, open before)."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.models import Queue
from chat.models.schedule import Schedule

from .conftest import FRI, MON, NEW_YORK, OFFICE, SAT, SUN, THU, TUE, WARSAW, WED, WEEK, local, schedule

UTC = dt.UTC
HOUR = 3600


# --- weekly intervals -------------------------------------------------------------------------------------------


def test_open_from_the_opening_up_to_but_not_at_the_closing():
    s = schedule({MON: ["08:00-16:00"]})
    assert not s.is_open(local(WEEK[MON], "07:59:59"))
    assert s.is_open(local(WEEK[MON], "08:00"))
    assert s.is_open(local(WEEK[MON], "15:59:59"))
    assert not s.is_open(local(WEEK[MON], "16:00"))
    assert not s.is_open(local(WEEK[TUE], "10:00"))  # no interval on Tuesday


def test_several_intervals_a_day_leave_the_lunch_break_closed():
    s = schedule({MON: ["08:00-12:00", "13:00-17:00"]})
    lunch = local(WEEK[MON], "12:30")
    assert not s.is_open(lunch)
    assert s.next_opening(lunch) == local(WEEK[MON], "13:00")
    assert s.closed_since(lunch) == local(WEEK[MON], "12:00")
    assert s.open_seconds(local(WEEK[MON], "00:00"), local(WEEK[TUE], "00:00")) == 8 * HOUR


def test_overlapping_intervals_of_one_day_count_once():
    s = schedule({MON: ["08:00-12:00", "10:00-14:00"]})
    assert s.day_intervals(WEEK[MON]) == [(local(WEEK[MON], "08:00"), local(WEEK[MON], "14:00"))]
    assert s.open_seconds(local(WEEK[MON], "00:00"), local(WEEK[TUE], "00:00")) == 6 * HOUR


def test_midnight_as_closing_time_is_the_end_of_the_day():
    s = schedule({FRI: ["18:00-00:00"]})
    assert s.is_open(local(WEEK[FRI], "23:59:59"))
    assert not s.is_open(local(WEEK[SAT], "00:00"))
    assert s.closed_since(local(WEEK[SAT], "09:00")) == local(WEEK[SAT], "00:00")
    assert s.open_seconds(local(WEEK[FRI], "00:00"), local(WEEK[SUN], "00:00")) == 6 * HOUR


def test_intervals_touching_at_midnight_are_one_opening():
    s = schedule({MON: ["22:00-00:00"], TUE: ["00:00-06:00"]})
    night = local(WEEK[TUE], "03:00")
    assert s.is_open(local(WEEK[TUE], "00:00"))
    assert s.opened_at(night) == local(WEEK[MON], "22:00")
    assert s.opened_at(local(WEEK[TUE], "00:00")) == local(WEEK[MON], "22:00")
    assert s.intervals(local(WEEK[MON], "20:00"), local(WEEK[TUE], "08:00")) == [
        (local(WEEK[MON], "22:00"), local(WEEK[TUE], "06:00"))
    ]
    assert s.closed_since(local(WEEK[TUE], "07:00")) == local(WEEK[TUE], "06:00")
    assert s.next_opening(local(WEEK[MON], "21:00")) == local(WEEK[MON], "22:00")


def test_opened_at_is_the_start_of_the_interval_that_holds_the_moment():
    s = schedule({MON: ["08:00-12:00", "13:00-17:00"]})
    assert s.opened_at(local(WEEK[MON], "14:15")) == local(WEEK[MON], "13:00")
    assert s.opened_at(local(WEEK[MON], "08:00")) == local(WEEK[MON], "08:00")
    assert s.opened_at(local(WEEK[MON], "12:30")) is None  # closed


def test_the_week_repeats():
    s = schedule(OFFICE)
    assert s.is_open(local(WEEK[MON] + dt.timedelta(weeks=5), "09:00"))
    assert not s.is_open(local(WEEK[SAT] + dt.timedelta(weeks=5), "09:00"))


# --- exceptions ---------------------------------------------------------------------------------------------------


def test_a_date_closed_all_day_has_no_opening():
    holiday = WEEK[MON]
    s = schedule(OFFICE, exceptions={holiday: []})
    assert not s.is_open(local(holiday, "10:00"))
    assert s.next_opening(local(holiday, "10:00")) == local(WEEK[TUE], "08:00")
    assert s.closed_since(local(holiday, "10:00")) == local(WEEK[FRI] - dt.timedelta(weeks=1), "16:00")


def test_a_shortened_day_replaces_the_weekly_hours_of_that_date():
    eve = WEEK[THU]
    s = schedule(OFFICE, exceptions={eve: ["08:00-12:00"]})
    assert s.is_open(local(eve, "11:59"))
    assert not s.is_open(local(eve, "13:00"))  # the weekly 08:00-16:00 does not apply that day
    assert s.closed_since(local(eve, "13:00")) == local(eve, "12:00")
    assert s.is_open(local(eve + dt.timedelta(weeks=1), "13:00"))  # the week after: weekly hours again


def test_a_special_opening_on_a_day_without_weekly_hours():
    saturday = WEEK[SAT]
    s = schedule(OFFICE, exceptions={saturday: ["10:00-14:00"]})
    assert s.is_open(local(saturday, "11:00"))
    assert s.next_opening(local(WEEK[FRI], "17:00")) == local(saturday, "10:00")


def test_an_exception_in_the_past_changes_nothing_now():
    s = schedule(OFFICE, exceptions={WEEK[MON] - dt.timedelta(days=365): []})
    assert s.is_open(local(WEEK[MON], "09:00"))


# --- time zones ---------------------------------------------------------------------------------------------------


def test_the_same_hours_in_new_york_and_in_warsaw_are_six_hours_apart():
    warsaw = schedule({MON: ["09:00-17:00"]}, zone="Europe/Warsaw")
    new_york = schedule({MON: ["09:00-17:00"]}, zone="America/New_York")
    early = dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # 14:00 in Warsaw, 09:00 in New York (summer time there)
    late = dt.datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw, 13:00 in New York
    assert (warsaw.is_open(early), new_york.is_open(early)) == (True, True)
    assert (warsaw.is_open(late), new_york.is_open(late)) == (False, True)
    before = dt.datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert new_york.next_opening(before) == local(dt.date(2026, 3, 9), "09:00", NEW_YORK)
    assert new_york.next_opening(before) == dt.datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert warsaw.next_opening(late) == local(dt.date(2026, 3, 16), "09:00", WARSAW)


def test_a_unknown_zone_name_in_a_row_falls_back_to_the_site_zone():
    s = schedule({MON: ["08:00-16:00"]}, zone="Mars/Olympus")
    assert s.zone.key == "Europe/Warsaw"


def test_every_answer_is_in_utc():
    s = schedule({MON: ["08:00-16:00"]})
    opening = s.next_opening(local(WEEK[MON], "06:00"))
    assert opening.utcoffset() == dt.timedelta(0)
    assert s.local(opening).strftime("%H:%M %Z") == "08:00 CET"


# --- the days the clocks change (Europe/Warsaw: 29 March and 25 October 2026) -----------------------------------

SPRING, AUTUMN = dt.date(2026, 3, 29), dt.date(2026, 10, 25)  # both Sundays


def test_the_night_the_clocks_go_forward_has_one_hour_less():
    s = schedule({SUN: ["00:00-06:00"]})
    assert s.open_seconds(local(SPRING, "00:00"), local(SPRING, "12:00")) == 5 * HOUR
    assert s.day_intervals(SPRING) == [(dt.datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
                                        dt.datetime(2026, 3, 29, 4, 0, tzinfo=UTC))]


def test_the_night_the_clocks_go_back_has_one_hour_more():
    s = schedule({SUN: ["00:00-06:00"]})
    assert s.open_seconds(local(AUTUMN, "00:00"), local(AUTUMN, "12:00")) == 7 * HOUR


def test_an_opening_in_the_missing_hour_is_an_hour_later_in_summer_time():
    s = schedule({SUN: ["02:30-10:00"]})
    opening = s.next_opening(local(dt.date(2026, 3, 28), "20:00"))
    assert s.local(opening).strftime("%H:%M %Z") == "03:30 CEST"
    assert s.open_seconds(local(SPRING, "00:00"), local(SPRING, "12:00")) == 6.5 * HOUR


def test_office_hours_stay_at_eight_on_the_local_clock_across_the_change():
    s = schedule(OFFICE)
    friday, monday = local(dt.date(2026, 3, 27), "08:00"), local(dt.date(2026, 3, 30), "08:00")
    assert friday.astimezone(UTC).hour == 7 and monday.astimezone(UTC).hour == 6
    assert s.next_opening(local(dt.date(2026, 3, 28), "12:00")) == monday
    # Friday 15:00 to Monday 09:00: one hour on Friday, one on Monday; the short Sunday changes nothing.
    assert s.open_seconds(local(dt.date(2026, 3, 27), "15:00"), local(dt.date(2026, 3, 30), "09:00")) == 2 * HOUR
    assert s.open_since(local(dt.date(2026, 3, 27), "15:00"), 2 * HOUR, limit=monday + dt.timedelta(days=1)) == (
        local(dt.date(2026, 3, 30), "09:00")
    )


# --- the questions the rules ask ----------------------------------------------------------------------------------


def test_open_seconds_and_open_since_count_only_business_hours():
    s = schedule({day: ["08:00-18:00"] for day in (MON, TUE, WED, THU, FRI)})
    friday_evening = local(WEEK[FRI], "17:59")
    monday = local(WEEK[MON] + dt.timedelta(weeks=1), "08:00")
    assert s.open_seconds(friday_evening, monday) == 60
    assert s.open_since(friday_evening, HOUR, limit=monday + dt.timedelta(days=7)) == monday + dt.timedelta(minutes=59)
    assert s.open_since(friday_evening, HOUR, limit=monday) is None  # not yet by the limit


def test_open_before_is_the_latest_start_with_that_much_business_time_before_the_end():
    s = schedule({day: ["08:00-18:00"] for day in (MON, TUE, WED, THU, FRI)})
    monday_nine = local(WEEK[MON] + dt.timedelta(weeks=1), "09:00")
    far = monday_nine - dt.timedelta(days=30)
    assert s.open_before(monday_nine, 2 * HOUR, limit=far) == local(WEEK[FRI], "17:00")
    assert s.open_before(monday_nine, HOUR, limit=far) == local(WEEK[MON] + dt.timedelta(weeks=1), "08:00")
    # It is the inverse of open_seconds: X seconds of business time lie between the cut-off and the end.
    cutoff = s.open_before(monday_nine, 24 * HOUR, limit=far)
    assert s.open_seconds(cutoff, monday_nine) == 24 * HOUR
    assert s.open_seconds(cutoff + dt.timedelta(seconds=1), monday_nine) < 24 * HOUR
    # Nothing that started at the limit or later has waited that long.
    assert s.open_before(monday_nine, 2 * HOUR, limit=local(WEEK[FRI], "17:30")) is None


def test_next_opening_and_closed_since_are_none_without_any_opening():
    s = schedule({})
    at = local(WEEK[MON], "10:00")
    assert not s.is_open(at)
    assert s.next_opening(at) is None
    assert s.closed_since(at) is None


def test_next_opening_is_the_moment_itself_while_open():
    s = schedule(OFFICE)
    at = local(WEEK[MON], "10:00")
    assert s.next_opening(at) == at
    assert s.closed_since(at) is None


def test_a_queue_without_business_hours_is_always_open():
    s = Schedule.of(Queue(name="Always", business_hours=False, time_zone="Europe/Warsaw"))
    at = local(WEEK[SAT], "03:00")
    assert s.always_open and s.is_open(at)
    assert s.next_opening(at) == at
    assert s.closed_since(at) is None
    assert s.open_seconds(at, at + dt.timedelta(hours=5)) == 5 * HOUR
    assert s.open_before(at, HOUR, limit=at - dt.timedelta(days=1)) == at - dt.timedelta(hours=1)


@pytest.mark.django_db
def test_the_schedule_reads_the_rows_once_and_none_when_prefetched(hours_queue, django_assert_num_queries):
    queue = hours_queue(exceptions=[(WEEK[MON], "closed")])
    with django_assert_num_queries(2):
        s = Schedule.of(queue)
    assert not s.is_open(local(WEEK[MON], "10:00")) and s.is_open(local(WEEK[TUE], "10:00"))
    prefetched = Queue.objects.prefetch_related("opening_hours", "hours_exceptions").get(pk=queue.pk)
    with django_assert_num_queries(0):
        assert Schedule.of(prefetched).is_open(local(WEEK[TUE], "10:00"))

"""Each figure of SPEC.md "Figures" on the hand-built chats of conftest.py, worked out by hand."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.utils import translation

from chat.reports.ranges import ReportError, report_range
from chat.reports.selectors import REPORTS, report_run

pytestmark = [pytest.mark.django_db, pytest.mark.postgresql]

BOTH_DAYS = report_range(date_from="2026-03-10", date_to="2026-03-11")


def only(name, **filters):
    return report_run(name, BOTH_DAYS, **filters).rows


def test_the_overview_counts_by_the_definitions(figures_data):
    [row] = only("overview")

    assert row["started"] == 7  # the internal chat is not counted
    assert row["answered"] == 2
    assert row["answered_within_target"] == 1  # 40 s after queueing; the other 100 s
    assert row["missed"] == 1
    assert row["abandoned"] == 3  # 10:15, 23:30, 00:30; the waiting one is none of these
    assert row["transferred"] == 1


def test_medians_and_90th_percentiles_of_the_times(figures_data):
    [row] = only("overview")

    # waits 10, 30, 50 s: percentile_cont interpolates, p90 = 30 + 0.8 × (50 − 30)
    assert (row["wait_median"], row["wait_p90"]) == (30.0, 46.0)
    # first responses 30 and 70 s (from the first assignment, kept through the transfer)
    assert (row["first_response_median"], row["first_response_p90"]) == (50.0, 66.0)
    # handling 290, 600, 150 s (first assignment to close)
    assert (row["handling_median"], row["handling_p90"]) == (290.0, 538.0)


def test_per_hour_and_per_day_are_in_the_site_time_zone_across_midnight(figures_data):
    hours = {row["key"]: row["started"] for row in only("hours")}
    days = {row["key"]: row["started"] for row in only("days")}

    assert len(hours) == 24
    assert {h: n for h, n in hours.items() if n} == {9: 2, 10: 3, 23: 1, 0: 1}
    assert days == {"2026-03-10": 6, "2026-03-11": 1}  # 00:30 Warsaw is still the 10th in UTC
    [tenth] = report_run("overview", report_range(date_from="2026-03-10", date_to="2026-03-10")).rows
    assert tenth["started"] == 6


def test_per_queue_agent_channel_and_disposition(figures_data):
    with translation.override("en"):  # the row labels "No agent", "No disposition" are the page's words
        by_agent = {row["label"]: (row["started"], row["answered"], row["missed"]) for row in only("agents")}
        by_channel = {row["key"]: (row["started"], row["transferred"]) for row in only("channels")}
        by_disposition = {row["label"]: row["started"] for row in only("dispositions")}
    [sales] = only("queues")

    # per agent: the chat's last agent; the transferred chat is Bartek's, the never assigned under "No agent"
    assert by_agent == {"Anna Kowalska": (1, 1, 0), "Bartek Nowak": (2, 1, 1), "No agent": (4, 0, 0)}
    assert by_channel == {"website": (6, 0), "messenger": (1, 1)}
    assert by_disposition == {"Order": 1, "No disposition": 6}
    assert (sales["label"], sales["started"]) == ("Sales", 7)


def test_ratings_by_agent_and_by_queue(figures_data):
    """Issue 17: how many chats were rated, and their mean score, per the chat's last agent and per queue."""
    with translation.override("en"):
        by_agent = {row["label"]: (row["rated"], row["rating_average"]) for row in only("agents")}
    [sales] = only("queues")
    [overview] = only("overview")

    # Anna: chat 1 (5); Bartek: chat 2, transferred to him (4), and chat 3 (3); no agent: chat 4 (1)
    assert by_agent == {"Anna Kowalska": (1, 5.0), "Bartek Nowak": (2, 3.5), "No agent": (1, 1.0)}
    assert (sales["rated"], sales["rating_average"]) == (4, 3.25)
    assert (overview["rated"], overview["rating_average"]) == (4, 3.25)
    assert only("overview", channel="messenger")[0]["rating_average"] == 4.0


def test_filters_by_queue_and_channel(figures_data):
    other = figures_data["sales"].pk + 1000

    assert only("overview", channel="messenger")[0]["started"] == 1
    assert only("overview", queue_id=other)[0]["started"] == 0
    assert only("overview", queue_id=other)[0]["wait_median"] is None
    assert (only("overview", queue_id=other)[0]["rated"], only("overview", queue_id=other)[0]["rating_average"]) == (
        0, None
    )


def test_every_report_answers_an_empty_range(db):
    for name in REPORTS:
        result = report_run(name, report_range(date_from="2020-01-01", date_to="2020-01-02"))
        assert all(row["started"] == 0 for row in result.rows), name


@pytest.mark.parametrize(
    ("date_from", "date_to", "field", "code"),
    [
        ("2026-03-10", "2026-03-09", "to", "invalid_range"),
        ("2026-13-01", "2026-12-01", "from", "invalid_date"),
        ("yesterday", None, "from", "invalid_date"),
        ("2026-03-10", "2026-3-1", "to", "invalid_date"),
        ("2025-01-01", "2026-01-02", "to", "range_too_long"),
    ],
)
def test_bad_ranges_are_refused_with_the_field_named(date_from, date_to, field, code):
    with pytest.raises(ReportError) as refused:
        report_range(date_from=date_from, date_to=date_to)

    assert (refused.value.field, refused.value.code) == (field, code)


def test_the_default_range_is_the_last_seven_days_in_the_site_time_zone(settings):
    settings.TIME_ZONE = "Europe/Warsaw"
    with time_machine.travel("2026-03-10T23:30:00+00:00", tick=False):  # already the 11th in Warsaw
        period = report_range()

    assert (period.date_from, period.date_to) == (date(2026, 3, 5), date(2026, 3, 11))
    assert report_range(date_from="2025-01-01", date_to="2025-12-31").days[-1] == date(2025, 12, 31)

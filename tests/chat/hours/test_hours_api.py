"""Business hours on the queues API: the new queue fields and ``open_now`` / ``next_opening`` on every queue, the
``queues/{id}/hours/`` resource (GET, PUT, PATCH) checked by the same rules as the admin, errors naming the field and
the day; staff write, agents read."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.models import HoursException, OpeningHours, Queue
from tests import factories
from tests.chat.api.fixtures import *  # noqa: F401,F403

from .conftest import MON, SAT, WEEK, local

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
OFFICE_ROWS = [{"weekday": d, "opens": "08:00", "closes": "16:00"} for d in range(5)]


def hours_url(queue) -> str:
    return f"/api/v1/queues/{queue.pk}/hours/"


@pytest.fixture
def sales(db):
    return factories.QueueFactory(name="Sales")


def test_every_queue_says_whether_it_is_open_now_and_when_it_opens(agent_api, hours_queue, frozen):
    office = hours_queue(name="Office", offline_without_agents=True)
    always = factories.QueueFactory(name="Always")
    frozen(local(WEEK[SAT], "10:00"))
    queues = {q["name"]: q for q in agent_api.get("/api/v1/queues/").json()}
    assert {k: queues["Office"][k] for k in ("business_hours", "time_zone", "offline_without_agents", "open_now")} == {
        "business_hours": True, "time_zone": "Europe/Warsaw", "offline_without_agents": True, "open_now": False,
    }
    assert dt.datetime.fromisoformat(queues["Office"]["next_opening"]) == local(WEEK[MON] + dt.timedelta(weeks=1),
                                                                               "08:00")
    assert (queues["Always"]["open_now"], queues["Always"]["business_hours"]) == (True, False)
    assert dt.datetime.fromisoformat(queues["Always"]["next_opening"]) == local(WEEK[SAT], "10:00")
    assert office.pk and always.pk


def test_the_queue_list_reads_every_schedule_in_a_fixed_number_of_queries(agent_api, hours_queue, cache_in_memory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            agent_api.get("/api/v1/queues/")
        return len(captured)

    hours_queue(name="Q0", exceptions=[(WEEK[MON], "closed")])
    queries()  # the token's "last used" is written once a minute: not part of the count
    few = queries()
    for n in range(1, 6):
        hours_queue(name=f"Q{n}", exceptions=[(WEEK[MON], "closed")])
    assert queries() == few


def test_staff_put_the_weekly_schedule_and_the_exceptions(staff_api, sales, frozen):
    frozen(local(WEEK[MON], "10:00"))
    body = {
        "business_hours": True, "time_zone": "Europe/Warsaw",
        "weekly": [*OFFICE_ROWS, {"weekday": 4, "opens": "18:00", "closes": "00:00"}],
        "exceptions": [
            {"date": "2026-12-24", "opens": "08:00", "closes": "12:00", "note": "Christmas Eve"},
            {"date": "2026-12-25", "closed": True},
        ],
    }
    response = staff_api.put(hours_url(sales), body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["queue"], data["business_hours"], data["open_now"]) == (sales.pk, True, True)
    assert data["weekly"][-1] == {"weekday": 4, "opens": "18:00:00", "closes": "00:00:00"}
    assert data["exceptions"] == [
        {"date": "2026-12-24", "closed": False, "opens": "08:00:00", "closes": "12:00:00", "note": "Christmas Eve"},
        {"date": "2026-12-25", "closed": True, "opens": None, "closes": None, "note": ""},
    ]
    assert OpeningHours.objects.filter(queue=sales).count() == 6
    assert staff_api.get(hours_url(sales)).json() == data


def test_patch_changes_only_what_it_names(staff_api, hours_queue):
    queue = hours_queue(exceptions=[(WEEK[MON], "closed")])
    response = staff_api.patch(hours_url(queue), {"offline_reply": "Back at 8."}, format="json")
    assert response.status_code == 200
    assert Queue.objects.get(pk=queue.pk).offline_reply == "Back at 8."
    assert OpeningHours.objects.filter(queue=queue).count() == 5 and HoursException.objects.count() == 1
    staff_api.patch(hours_url(queue), {"exceptions": []}, format="json")
    assert not HoursException.objects.exists() and OpeningHours.objects.filter(queue=queue).count() == 5


def test_an_overlap_is_refused_naming_the_day_and_nothing_changes(staff_api, hours_queue):
    queue = hours_queue()
    body = {"weekly": [{"weekday": 2, "opens": "08:00", "closes": "12:00"},
                       {"weekday": 2, "opens": "11:30", "closes": "15:00"}], "exceptions": []}
    response = staff_api.put(hours_url(queue), body, format="json", **EN)
    assert response.status_code == 400
    assert response.json() == {
        "weekly": ["The hours of Wednesday overlap: 08:00–12:00 and 11:30–15:00. Merge them into one interval or "
                   "correct one."],
        "code": "overlap",
    }
    assert OpeningHours.objects.filter(queue=queue).count() == 5


@pytest.mark.parametrize(("exceptions", "message"), [
    ([{"date": "2026-12-25", "closed": True, "opens": "08:00", "closes": "12:00"}],
     "2026-12-25: a day closed all day has no opening or closing time; clear the times or untick “closed all day”."),
    ([{"date": "2026-12-24", "opens": "12:00", "closes": "08:00"}],
     "2026-12-24: the closing time must be after the opening time (00:00 means midnight at the end of the day)."),
    ([{"date": "2026-12-24"}], "2026-12-24: give the opening and the closing time, or tick “closed all day”."),
    ([{"date": "2026-12-24", "opens": "08:00", "closes": "12:00"},
      {"date": "2026-12-24", "opens": "10:00", "closes": "14:00"}],
     "The hours of 2026-12-24 overlap: 08:00–12:00 and 10:00–14:00. Merge them into one interval or correct one."),
    ([{"date": "2026-12-24", "closed": True}, {"date": "2026-12-24", "opens": "10:00", "closes": "14:00"}],
     "2026-12-24 is closed all day and also has opening hours: keep one or the other."),
], ids=["closed with times", "closing first", "no times", "overlap", "closed and open"])
def test_bad_exceptions_are_refused_naming_the_date(staff_api, hours_queue, exceptions, message):
    queue = hours_queue()
    response = staff_api.patch(hours_url(queue), {"exceptions": exceptions}, format="json", **EN)
    assert response.status_code == 400
    assert response.json()["exceptions"] == [message]
    assert not HoursException.objects.exists()


def test_business_hours_on_without_a_weekly_opening_are_refused(staff_api, sales):
    response = staff_api.put(hours_url(sales), {"business_hours": True, "weekly": [], "exceptions": []},
                             format="json", **EN)
    assert response.status_code == 400
    assert response.json()["code"] == "no_weekly_hours"
    patched = staff_api.patch(f"/api/v1/queues/{sales.pk}/", {"business_hours": True}, format="json", **EN)
    assert patched.status_code == 400
    assert patched.json() == {
        "business_hours": ["Business hours are on but the week has no opening: add at least one weekly opening, or "
                           "switch business hours off."],
        "code": "no_weekly_hours",
    }
    created = staff_api.post("/api/v1/queues/", {"name": "Night", "business_hours": True}, format="json", **EN)
    assert (created.status_code, created.json()["code"]) == (400, "no_weekly_hours")
    assert Queue.objects.get(pk=sales.pk).business_hours is False and not Queue.objects.filter(name="Night").exists()


def test_removing_every_weekly_row_while_business_hours_stay_on_is_refused(staff_api, hours_queue):
    queue = hours_queue()
    response = staff_api.patch(hours_url(queue), {"weekly": []}, format="json", **EN)
    assert (response.status_code, response.json()["code"]) == (400, "no_weekly_hours")
    assert OpeningHours.objects.filter(queue=queue).count() == 5
    off = staff_api.patch(hours_url(queue), {"weekly": [], "business_hours": False}, format="json")
    assert off.status_code == 200 and off.json()["open_now"] is True


def test_an_unknown_time_zone_is_refused_naming_the_field(staff_api, sales):
    for url, method in ((hours_url(sales), staff_api.patch), (f"/api/v1/queues/{sales.pk}/", staff_api.patch)):
        response = method(url, {"time_zone": "Mars/Olympus"}, format="json", **EN)
        assert response.status_code == 400
        assert response.json()["time_zone"] == ["Unknown time zone “Mars/Olympus”; use a name such as Europe/Warsaw."]
    assert Queue.objects.get(pk=sales.pk).time_zone == "Europe/Warsaw"


def test_a_bad_row_is_refused_by_the_serializer_naming_its_place(staff_api, sales):
    body = {"weekly": [*OFFICE_ROWS, {"weekday": 7, "opens": "8", "closes": "16:00"}], "exceptions": []}
    response = staff_api.put(hours_url(sales), body, format="json")
    assert response.status_code == 400
    errors = response.json()["weekly"]
    assert list(errors) == ["5"] and set(errors["5"]) == {"weekday", "opens"}  # the sixth row, its two fields


def test_put_needs_both_lists(staff_api, sales):
    response = staff_api.put(hours_url(sales), {"business_hours": False}, format="json")
    assert response.status_code == 400
    assert set(response.json()) >= {"weekly", "exceptions"}


def test_the_queue_fields_are_written_through_the_queue_itself_too(staff_api, hours_queue):
    queue = hours_queue()
    response = staff_api.patch(f"/api/v1/queues/{queue.pk}/", {
        "time_zone": "America/New_York", "offline_without_agents": True, "offline_reply": "Closed.",
    }, format="json")
    assert response.status_code == 200
    assert {k: response.json()[k] for k in ("time_zone", "offline_without_agents", "offline_reply")} == {
        "time_zone": "America/New_York", "offline_without_agents": True, "offline_reply": "Closed.",
    }


def test_agents_read_the_hours_but_do_not_change_them(agent_api, hours_queue):
    queue = hours_queue()
    assert agent_api.get(hours_url(queue)).status_code == 200
    assert agent_api.patch(hours_url(queue), {"business_hours": False}, format="json").status_code == 403
    assert agent_api.put(hours_url(queue), {"weekly": [], "exceptions": []}, format="json").status_code == 403
    assert Queue.objects.get(pk=queue.pk).business_hours is True


def test_an_unknown_queue_answers_404(staff_api):
    assert staff_api.get("/api/v1/queues/999999/hours/").status_code == 404
    assert staff_api.patch("/api/v1/queues/999999/hours/", {}, format="json").status_code == 404

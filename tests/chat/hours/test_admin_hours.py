"""Business hours in the admin's queue page, through the real admin (the test client posts the change form with its
inlines): the "Business hours" fieldset, the weekly and dated inlines, every refusal with a message that names the
day, and the change list's "open now" and next opening."""

from __future__ import annotations

import datetime as dt

import pytest

from chat.models import HoursException, OpeningHours, Queue
from tests import factories

from .conftest import MON, SAT, WEEK, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, admin_user):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


def queue_form(*, weekly=(), exceptions=(), initial_weekly=0, initial_exceptions=0, **fields) -> dict:
    """The queue's change form as the browser posts it: ``weekly=[{"weekday": 0, "opens": "08:00", …}]``."""
    data = {
        "name": "Sales", "description": "", "active": "on", "answer_target_seconds": "60",
        "time_zone": "Europe/Warsaw", "offline_reply": "",
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
        "memberships-MIN_NUM_FORMS": 0, "memberships-MAX_NUM_FORMS": 1000,
    }
    for prefix, rows, initial in (("opening_hours", weekly, initial_weekly),
                                  ("hours_exceptions", exceptions, initial_exceptions)):
        data.update({f"{prefix}-TOTAL_FORMS": len(rows), f"{prefix}-INITIAL_FORMS": initial,
                     f"{prefix}-MIN_NUM_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
        for index, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{index}-{key}"] = value
    for name, value in fields.items():
        if value is True:
            data[name] = "on"
        elif value is False:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def day(weekday: int, opens: str, closes: str) -> dict:
    return {"weekday": weekday, "opens": opens, "closes": closes}


def date(when: dt.date, opens: str = "", closes: str = "", closed: bool = False, note: str = "") -> dict:
    row = {"date": when.isoformat(), "opens": opens, "closes": closes, "note": note}
    if closed:
        row["closed"] = "on"
    return row


def add(admin, **form):
    return admin.post("/admin/chat/queue/add/", queue_form(**form))


def errors(response) -> str:
    return response.content.decode()


def test_the_queue_page_has_a_business_hours_fieldset_and_both_inlines(admin):
    html = admin.get("/admin/chat/queue/add/").content.decode()
    assert "<h2" in html and "Business hours" in html
    for field in ("id_business_hours", "id_time_zone", "id_offline_without_agents", "id_offline_reply"):
        assert f'id="{field}"' in html
    assert '<option value="America/New_York">America/New_York</option>' in html
    assert "Weekly business hours" in html and "Business hours exceptions" in html


def test_business_hours_are_saved_with_the_weekly_rows_and_the_exceptions(admin):
    response = add(
        admin, business_hours=True, time_zone="America/New_York", offline_without_agents=True,
        offline_reply="We are closed; we answer from 9 am.",
        weekly=[day(0, "08:00", "12:00"), day(0, "13:00", "17:00"), day(4, "22:00", "00:00")],
        exceptions=[date(WEEK[MON], closed=True, note="Holiday"), date(WEEK[SAT], "10:00", "14:00")],
    )
    assert response.status_code == 302, errors(response)
    queue = Queue.objects.get(name="Sales")
    assert (queue.business_hours, queue.time_zone, queue.offline_without_agents) == (True, "America/New_York", True)
    assert queue.offline_reply == "We are closed; we answer from 9 am."
    assert sorted(queue.opening_hours.values_list("weekday", "opens", "closes")) == [
        (0, dt.time(8), dt.time(12)), (0, dt.time(13), dt.time(17)), (4, dt.time(22), dt.time(0)),
    ]
    assert sorted(queue.hours_exceptions.values_list("date", "closed", "opens", "closes", "note")) == [
        (WEEK[MON], True, None, None, "Holiday"), (WEEK[SAT], False, dt.time(10), dt.time(14), ""),
    ]


def test_a_closing_before_the_opening_is_refused(admin):
    response = add(admin, business_hours=True, weekly=[day(0, "16:00", "08:00")])
    assert response.status_code == 200
    assert "The closing time must be after the opening time." in errors(response)
    assert not Queue.objects.exists()


def test_overlapping_intervals_of_one_weekday_are_refused_naming_the_day(admin):
    response = add(admin, business_hours=True, weekly=[day(1, "08:00", "12:00"), day(1, "11:00", "15:00")])
    assert response.status_code == 200
    assert "The hours of Tuesday overlap: 08:00–12:00 and 11:00–15:00." in errors(response)
    assert not OpeningHours.objects.exists()


def test_touching_intervals_and_the_same_hours_on_other_days_are_accepted(admin):
    response = add(admin, business_hours=True,
                   weekly=[day(1, "08:00", "12:00"), day(1, "12:00", "16:00"), day(2, "08:00", "12:00")])
    assert response.status_code == 302, errors(response)
    assert OpeningHours.objects.count() == 3


def test_overlapping_intervals_of_one_date_are_refused_naming_the_date(admin):
    response = add(admin, business_hours=True, weekly=[day(0, "08:00", "16:00")],
                   exceptions=[date(WEEK[SAT], "10:00", "14:00"), date(WEEK[SAT], "13:00", "18:00")])
    assert response.status_code == 200
    assert f"The hours of {WEEK[SAT]:%Y-%m-%d} overlap: 10:00–14:00 and 13:00–18:00." in errors(response)
    assert not Queue.objects.exists()


def test_closed_all_day_with_times_is_refused(admin):
    response = add(admin, business_hours=True, weekly=[day(0, "08:00", "16:00")],
                   exceptions=[date(WEEK[SAT], "10:00", "14:00", closed=True)])
    assert response.status_code == 200
    assert "A day closed all day has no opening or closing time." in errors(response)
    assert not HoursException.objects.exists()


def test_closed_all_day_and_hours_on_the_same_date_are_refused(admin):
    response = add(admin, business_hours=True, weekly=[day(0, "08:00", "16:00")],
                   exceptions=[date(WEEK[SAT], closed=True), date(WEEK[SAT], "10:00", "14:00")])
    assert response.status_code == 200
    assert f"{WEEK[SAT]:%Y-%m-%d} is closed all day and also has opening hours" in errors(response)


def test_an_exception_without_times_nor_closed_is_refused(admin):
    response = add(admin, business_hours=True, weekly=[day(0, "08:00", "16:00")], exceptions=[date(WEEK[SAT])])
    assert response.status_code == 200
    assert "Give the opening time, or tick “closed all day”." in errors(response)


def test_an_exception_in_the_past_is_accepted_and_changes_nothing_now(admin, frozen):
    frozen(local(WEEK[MON], "10:00"))
    response = add(admin, business_hours=True, weekly=[day(0, "08:00", "16:00")],
                   exceptions=[date(WEEK[MON] - dt.timedelta(days=365), closed=True)])
    assert response.status_code == 302, errors(response)
    from chat.services.hours import is_open

    assert is_open(Queue.objects.get(name="Sales"))


def test_business_hours_on_without_a_weekly_opening_are_refused(admin):
    queue = factories.QueueFactory(name="Sales")
    response = admin.post(f"/admin/chat/queue/{queue.pk}/change/", queue_form(business_hours=True))
    assert response.status_code == 200
    assert "Business hours are on but the week has no opening: add at least one weekly opening, or switch business " \
           "hours off." in errors(response)
    assert Queue.objects.get(pk=queue.pk).business_hours is False


def test_the_answer_target_is_saved_too(admin):
    """It was on the page but not saved (the page saved name, description and active only)."""
    queue = factories.QueueFactory(name="Sales")
    response = admin.post(f"/admin/chat/queue/{queue.pk}/change/", queue_form(answer_target_seconds="90"))
    assert response.status_code == 302, errors(response)
    assert Queue.objects.get(pk=queue.pk).answer_target_seconds == 90


def test_business_hours_off_need_no_rows(admin):
    assert add(admin, business_hours=False).status_code == 302
    assert Queue.objects.get(name="Sales").business_hours is False


def test_an_unknown_time_zone_is_refused_with_a_clear_message(admin):
    response = add(admin, business_hours=True, time_zone="Europe/Warsawa", weekly=[day(0, "08:00", "16:00")])
    assert response.status_code == 200
    assert "Unknown time zone “Europe/Warsawa”; choose a name such as Europe/Warsaw." in errors(response)
    assert not Queue.objects.exists()


def test_rows_are_changed_and_deleted_through_the_inline(admin):
    queue = factories.QueueFactory(name="Sales", business_hours=True)
    monday = OpeningHours.objects.create(queue=queue, weekday=0, opens=dt.time(8), closes=dt.time(16))
    tuesday = OpeningHours.objects.create(queue=queue, weekday=1, opens=dt.time(8), closes=dt.time(16))
    weekly = [
        {"id": monday.pk, "queue": queue.pk, **day(0, "09:00", "17:00")},
        {"id": tuesday.pk, "queue": queue.pk, **day(1, "08:00", "16:00"), "DELETE": "on"},
    ]
    response = admin.post(f"/admin/chat/queue/{queue.pk}/change/",
                          queue_form(business_hours=True, weekly=weekly, initial_weekly=2))
    assert response.status_code == 302, errors(response)
    assert list(queue.opening_hours.values_list("weekday", "opens", "closes")) == [(0, dt.time(9), dt.time(17))]


def test_deleting_the_last_weekly_row_with_business_hours_on_is_refused(admin):
    queue = factories.QueueFactory(name="Sales", business_hours=True)
    monday = OpeningHours.objects.create(queue=queue, weekday=0, opens=dt.time(8), closes=dt.time(16))
    weekly = [{"id": monday.pk, "queue": queue.pk, **day(0, "08:00", "16:00"), "DELETE": "on"}]
    response = admin.post(f"/admin/chat/queue/{queue.pk}/change/",
                          queue_form(business_hours=True, weekly=weekly, initial_weekly=1))
    assert response.status_code == 200
    assert OpeningHours.objects.filter(pk=monday.pk).exists()


def test_the_change_list_shows_whether_each_queue_is_open_now_and_its_next_opening(admin, hours_queue, frozen):
    hours_queue(name="Office")
    factories.QueueFactory(name="Always")
    frozen(local(WEEK[SAT], "10:00"))
    html = admin.get("/admin/chat/queue/").content.decode()
    assert "Open now" in html and "Next opening" in html
    assert "Mon 9 Mar 2026 08:00" in html
    assert "always open" in html
    assert 'alt="False"' in html and 'alt="True"' in html

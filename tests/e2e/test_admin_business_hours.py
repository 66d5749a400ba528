"""The administrator sets a queue's business hours in real Chromium: the fieldset, weekly rows added with the
inline's "Add another", a refused overlap named by its day, the fix, the exception, and the list's "Open now".
Writes docs/screenshots/admin-business-hours.png with PARLEY_SCREENSHOTS=1."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chat.models import HoursException, OpeningHours, Queue
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A Wednesday morning in Warsaw; the clock runs on from there (the browser's timers are not the server's).
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 0, tzinfo=ZoneInfo("Europe/Warsaw"))


def fill_row(page, prefix: str, index: int, **values) -> None:
    for name, value in values.items():
        selector = f"#id_{prefix}-{index}-{name}"
        if name in ("weekday",):
            page.select_option(selector, str(value))
        elif name == "closed":
            page.check(selector)
        else:
            page.fill(selector, value)


def add_row(page, prefix: str) -> None:
    page.locator(f"#{prefix}-group .add-row a").click()


def test_admin_sets_business_hours_sees_an_overlap_refused_and_the_queue_open_now(
    live_server, page, admin_user, time_machine
):
    time_machine.move_to(WEDNESDAY, tick=True)
    queue = factories.QueueFactory(name="Sales", description="Pre-sales questions")
    change = f"/admin/chat/queue/{queue.pk}/change/"
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next={change}")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "parley-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{change}")
    assert page.get_by_role("heading", name="Business hours", exact=True).is_visible()

    page.check("#id_business_hours")
    page.select_option("#id_time_zone", "Europe/Warsaw")
    page.check("#id_offline_without_agents")
    fill_row(page, "opening_hours", 0, weekday=0, opens="08:00", closes="16:00")
    add_row(page, "opening_hours")
    fill_row(page, "opening_hours", 1, weekday=0, opens="12:00", closes="18:00")  # overlaps Monday's first
    add_row(page, "opening_hours")
    fill_row(page, "opening_hours", 2, weekday=2, opens="08:00", closes="16:00")
    fill_row(page, "hours_exceptions", 0, date="2026-12-24", opens="08:00", closes="12:00", note="Christmas Eve")
    page.click('input[name="_continue"]')

    page.wait_for_selector(".errornote")
    assert page.get_by_text("The hours of Monday overlap: 08:00–16:00 and 12:00–18:00.").is_visible()
    assert not OpeningHours.objects.exists() and Queue.objects.get(pk=queue.pk).business_hours is False

    page.fill("#id_opening_hours-1-opens", "16:00")  # touching the first: one opening until 18:00
    page.click('input[name="_continue"]')
    page.wait_for_selector(".messagelist .success")

    queue.refresh_from_db()
    assert (queue.business_hours, queue.time_zone, queue.offline_without_agents) == (True, "Europe/Warsaw", True)
    assert sorted(queue.opening_hours.values_list("weekday", "opens", "closes")) == [
        (0, dt.time(8), dt.time(16)), (0, dt.time(16), dt.time(18)), (2, dt.time(8), dt.time(16)),
    ]
    assert list(HoursException.objects.values_list("date", "opens", "closes", "note")) == [
        (dt.date(2026, 12, 24), dt.time(8), dt.time(12), "Christmas Eve"),
    ]
    page.locator("#opening_hours-group").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "admin-business-hours.png"), full_page=True)

    page.goto(f"{live_server.url}/admin/chat/queue/")
    row = page.locator("#result_list tbody tr", has_text="Sales")
    assert row.locator("td.field-open_now img").get_attribute("alt") == "True"
    assert row.locator("td.field-next_opening").inner_text() == "open now"

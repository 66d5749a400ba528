"""Issue 15, point 4, in real Chromium at 1366x768: a staff member opens the report per hour (English) and the
report per queue (Polish); the SVG chart is drawn and visible, the table carries the numbers; axe-core finds no
serious or critical violation. Screenshots for the note: docs/screenshots/reports-*.png with PARLEY_SCREENSHOTS=1."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Chat, ChatEvent
from tests import factories
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_accessibility import axe_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _some_chats(queues, agents) -> None:
    """A week of chats, most in office hours: answered, missed, abandoned, a few transferred."""
    rng = random.Random(15)
    now = timezone.now()
    chats = []
    for n in range(400):
        start = (now - timedelta(days=rng.randrange(7))).replace(hour=rng.choice([8, 9, 9, 10, 10, 11, 12, 13, 14, 14,
                                                                               15, 16, 17, 19, 21]),
                                                                 minute=rng.randrange(60))
        start = min(start, now - timedelta(minutes=30))
        outcome = rng.random()
        assigned = start + timedelta(seconds=rng.randrange(5, 240))
        chat = factories.ChatFactory.build(
            channel=Chat.Channel.MESSENGER if n % 4 == 0 else Chat.Channel.WEBSITE, status=Chat.Status.CLOSED,
            queue=rng.choice(queues), created_at=start, queued_at=start, closed_at=assigned + timedelta(minutes=9),
            close_reason="agent",
        )
        if outcome < 0.85:
            chat.agent = rng.choice(agents)
            chat.assigned_at = chat.first_assigned_at = assigned
        if outcome < 0.72:
            chat.first_response_at = assigned + timedelta(seconds=rng.randrange(3, 120))
        chats.append(chat)
    Chat.objects.bulk_create(chats)
    ChatEvent.objects.bulk_create([
        ChatEvent(chat=c, kind=ChatEvent.Kind.TRANSFERRED, created_at=c.first_assigned_at + timedelta(seconds=60))
        for c in chats[::9] if c.first_assigned_at
    ])


def test_a_supervisor_reads_two_reports_with_charts(new_context, inbox_login, agent_factory, live_server):
    queues = [factories.QueueFactory(name=n) for n in ("Sales", "Support", "Returns", "Billing")]
    agents = [agent_factory(queue=queues[i % 4], username=f"a{i}", first_name=f, last_name="Nowak")
              for i, f in enumerate(["Anna", "Bartek", "Celina", "Damian", "Ewa", "Filip"])]
    boss = agent_factory(username="boss", first_name="Barbara", is_staff=True)
    _some_chats(queues, agents)

    page = inbox_login(new_context().new_page(), boss)
    page.goto(f"{live_server.url}/supervisor/reports/hours/")
    chart = page.locator("[data-testid=chart]")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["height"] > 150
    expect(page.locator("[data-testid=report-table] tbody tr")).to_have_count(24)
    expect(page.locator("[data-testid=report-csv]")).to_be_visible()
    assert page.locator("[data-testid=chart] rect").count() > 10
    page.screenshot(path=str(SCREENSHOTS / "reports-hours-en.png"))
    blocking = [v for v in axe_check(page, "report per hour (en)") if v["impact"] in ("serious", "critical")]
    assert not blocking, blocking

    polish = inbox_login(new_context(locale="pl-PL").new_page(), boss)
    polish.context.add_cookies([{"name": "django_language", "value": "pl", "url": live_server.url}])
    polish.goto(f"{live_server.url}/supervisor/reports/queues/")
    expect(polish.locator("html")).to_have_attribute("lang", "pl")
    expect(polish.locator("[data-testid=chart]")).to_be_visible()
    expect(polish.locator("[data-testid=report-table] tbody tr")).to_have_count(4)
    polish.screenshot(path=str(SCREENSHOTS / "reports-queues-pl.png"))
    blocking = [v for v in axe_check(polish, "report per queue (pl)") if v["impact"] in ("serious", "critical")]
    assert not blocking, blocking

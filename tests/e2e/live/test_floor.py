"""The live floor in real Chromium (issue 15, point 1): a supervisor watches 20 queues and 200 agents at
1366x768; a chat that starts waiting appears without a reload (the push channel), and the page stays legible
(no sideways scrolling, every panel on the screen, no serious axe-core finding)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agents.models import PauseType
from chat.models import Chat
from chat.services.chats import chat_start
from tests import factories
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_accessibility import axe_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_server(asgi_live_server):
    return asgi_live_server


@pytest.fixture
def centre(agent_factory):
    names = ["Sales", "Support", "Billing", "Returns", "Shipping", "VIP desk", "Complaints", "Orders", "Partners",
             "Invoices", "Warranty", "B2B", "Careers", "Press", "Tech level 1", "Tech level 2", "Loyalty",
             "Payments", "Accounts", "Marketplace"]
    queues = [factories.QueueFactory(name=name) for name in names]
    pauses = list(PauseType.objects.all())
    now = timezone.now()
    for i in range(200):
        agent_factory(
            queue=queues[i % 20], first_name=f"Agent{i:03}", last_name="Kowalska" if i % 2 else "Nowak",
            logged_in=i % 5 != 0, pause_type=pauses[i % len(pauses)] if i % 7 == 0 and i % 5 else None,
            on_phone_call=i % 11 == 3,
        )
    for i in range(30):
        factories.ChatFactory(queue=queues[i % 4], queued_at=now - timedelta(seconds=20 * i + 5),
                              visitor_name=f"Visitor {i:02}")
    return queues


def test_the_floor_shows_a_new_waiting_chat_live_and_fits_a_laptop(new_context, inbox_login, centre):
    boss = factories.UserFactory(is_staff=True, username="boss", first_name="Ewa", last_name="Supervisor")
    factories.PresenceFactory(agent=boss, logged_in=False)
    page = inbox_login(new_context(viewport={"width": 1366, "height": 768}, locale="en-US").new_page(), boss)
    page.goto(page.url.replace("/inbox/", "/supervisor/"))
    expect(page.locator("html[data-floor-live]")).to_have_count(1)
    expect(page.get_by_test_id("floor-queues").locator("tbody tr")).to_have_count(20)
    expect(page.get_by_test_id("floor-agents").locator("tbody tr")).to_have_count(201)

    chat_start(channel=Chat.Channel.WEBSITE, queue_id=centre[19].pk, visitor_name="Newcomer")

    row = page.get_by_test_id("floor-waiting").locator("tr", has_text="Newcomer")
    expect(row).to_be_visible()
    expect(page.get_by_test_id("floor-queues").locator("tr", has_text="Marketplace").locator("[data-col=waiting]")
           ).to_have_text("1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    assert page.evaluate("document.documentElement.scrollHeight") <= 768  # the panels scroll, not the page
    for panel in ("floor-queues", "floor-waiting", "floor-agents"):
        expect(page.get_by_test_id(panel)).to_be_in_viewport()
    page.screenshot(path=str(SCREENSHOTS / "supervisor-floor.png"))
    assert axe_check(page, "live floor (en-US)") == []


def test_a_supervisor_pauses_an_agent_from_the_floor(new_context, inbox_login, agent_factory, queue):
    anna = agent_factory(queue=queue, first_name="Anna", last_name="Nowak")
    boss = factories.UserFactory(is_staff=True, username="boss", first_name="Ewa", last_name="Supervisor")
    factories.PresenceFactory(agent=boss, logged_in=False)
    page = inbox_login(new_context(viewport={"width": 1366, "height": 768}, locale="en-US").new_page(), boss)
    page.goto(page.url.replace("/inbox/", "/supervisor/"))
    row = page.get_by_test_id("floor-agents").locator(f"tr[data-agent='{anna.pk}']")

    row.locator("summary").click()
    row.locator("select").select_option(value=str(PauseType.objects.get(code="break").pk))
    row.get_by_test_id("agent-pause").click()

    expect(row.locator("[data-col=state]")).to_contain_text("Paused")
    expect(page.locator(".flash")).to_be_visible()
    event = anna.presence_events.first()
    assert (event.kind, event.actor, event.reason) == ("paused", boss, "supervisor")

"""Issue 15, point 2 in real Chromium: a supervisor opens an agent's chat read-only, watches it silently and
whispers; the agent's open page shows the whisper without reloading, and the visitor's widget never does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat, ChatEvent, Message
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_widget import agent_page, open_assigned_chat, start_chat, visitor, visitor_writes  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_supervisor_whispers_and_the_agents_page_shows_it_live(
    agent_page, visitor, new_context, inbox_login, agent_factory, live_server  # noqa: F811
):
    start_chat(visitor, name="Ewa Lis", email="ewa@example.com")
    visitor_writes(visitor, "Chcę zwrócić buty, są za małe.")
    open_assigned_chat(agent_page, "Ewa Lis")
    agent_page.evaluate("window.__sameDocument = true")  # the chat's page: gone if it ever reloads
    chat = Chat.objects.get(visitor_name="Ewa Lis")

    boss = agent_factory(username="sylwia", first_name="Sylwia", last_name="Kierownik", is_staff=True,
                         logged_in=False)
    supervisor = inbox_login(new_context(viewport={"width": 1366, "height": 768}).new_page(), boss)
    supervisor.goto(f"{live_server.url}/inbox/chats/{chat.pk}/")
    panel = supervisor.locator("[data-testid=supervisor-panel]")
    expect(panel).to_be_visible()
    expect(supervisor.locator("[data-testid=watch-notice]")).to_be_visible()  # read-only: no reply box
    expect(supervisor.locator("#composer form.reply")).to_have_count(0)
    expect(supervisor.locator("#messages")).to_contain_text("za małe")

    panel.locator("[data-testid=supervisor-join]").click()
    expect(supervisor.locator("[data-testid=supervisor-watching]")).to_contain_text("Sylwia Kierownik")
    supervisor.fill("[data-testid=supervisor-whisper-body]", "Zaproponuj wymianę na większy rozmiar.")
    supervisor.locator("[data-testid=supervisor-whisper]").click()
    expect(supervisor.locator("#messages .msg-note")).to_contain_text("wymianę na większy rozmiar")
    supervisor.screenshot(path=str(SCREENSHOTS / "supervisor-panel.png"))

    note = agent_page.locator("#messages .msg-note")
    expect(note).to_contain_text("wymianę na większy rozmiar")  # on the agent's open page, without a reload
    expect(note).to_contain_text("Sylwia Kierownik")
    assert agent_page.evaluate("window.__sameDocument") is True
    expect(agent_page.locator("[data-testid=supervisor-panel]")).to_have_count(0)

    visitor_writes(visitor, "Halo?")
    expect(visitor.locator(".log")).not_to_contain_text("większy rozmiar")
    assert ChatEvent.objects.filter(chat=chat, kind="whispered", actor=boss).count() == 1
    assert Message.objects.filter(chat=chat, sender="note", author=boss).count() == 1

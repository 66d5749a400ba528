"""The widget's rating prompt (issue 17, point 3) in real Chromium: once the chat is closed the visitor rates it
1-5 with an optional comment, is thanked, and is not asked again; the agent's open page shows the rating."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat, ChatEvent
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_accessibility import axe_check
from tests.e2e.test_widget import agent_page, open_assigned_chat, start_chat, visitor, visitor_writes  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_the_agent_closes_the_chat_the_visitor_rates_it_once(agent_page, visitor):  # noqa: F811
    start_chat(visitor, name="Jan Kowal", email="jan@example.com")
    visitor_writes(visitor, "Czy dowozicie w niedzielę?")
    open_assigned_chat(agent_page, "Jan Kowal")
    expect(visitor.locator(".rate")).to_be_hidden()  # no prompt while the chat is open

    agent_page.once("dialog", lambda dialog: dialog.accept())  # "Close this chat?"
    agent_page.click("[data-testid=close-chat]")
    expect(agent_page.locator("[data-testid=closed-notice]")).to_be_visible()
    agent_page.evaluate("window.__sameDocument = true")  # the closed chat's page: gone if it ever reloads

    prompt = visitor.locator(".rate")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Jak oceniasz tę rozmowę?")
    scores = prompt.locator(".rate-score")
    expect(scores).to_have_count(5)
    expect(scores.nth(0)).to_have_attribute("aria-label", "1 z 5: bardzo źle")
    expect(scores.nth(4)).to_have_attribute("aria-label", "5 z 5: świetnie")
    expect(prompt.locator(".rate-send")).to_be_hidden()  # the comment and "send" come with a score

    scores.nth(3).click()
    expect(scores.nth(3)).to_have_attribute("aria-pressed", "true")
    prompt.locator("textarea[name=comment]").fill("Miła obsługa, szybka odpowiedź.")
    visitor.screenshot(path=str(SCREENSHOTS / "widget-rating.png"))
    prompt.locator(".rate-send").click()

    expect(visitor.locator(".rate-thanks")).to_be_visible()
    expect(visitor.locator(".rate-thanks")).to_have_text("Dziękujemy za ocenę!")
    expect(prompt).to_be_hidden()
    chat = Chat.objects.get(visitor_name="Jan Kowal")
    assert (chat.rating, chat.rating_comment) == (4, "Miła obsługa, szybka odpowiedź.")
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RATED).count() == 1
    # The agent's open page follows without a reload: the header and the timeline.
    expect(agent_page.locator("[data-testid=chat-rating]")).to_contain_text("4/5")
    expect(agent_page.locator("[data-testid=timeline]")).to_contain_text("Miła obsługa")
    assert agent_page.evaluate("window.__sameDocument") is True

    visitor.reload()  # the rating is the server's: the prompt is not shown again
    expect(visitor.locator(".conversation")).to_be_visible()
    expect(visitor.locator(".rate-thanks")).to_be_visible()
    expect(visitor.locator(".rate")).to_be_hidden()


def test_the_visitor_ends_the_chat_and_rates_it_from_the_keyboard(new_context, demo_host, queue):
    page = new_context(viewport={"width": 1280, "height": 800}, locale="pl-PL", bypass_csp=True).new_page()
    page.goto(demo_host(queue))
    start_chat(page, name="Ola", email="")
    page.click(".end")
    page.click(".end-yes")
    prompt = page.locator(".rate")
    expect(prompt).to_be_visible()
    assert axe_check(page, "widget, the rating prompt") == []

    prompt.locator(".rate-score").nth(4).focus()
    page.keyboard.press("Enter")
    expect(prompt.locator(".rate-score").nth(4)).to_have_attribute("aria-pressed", "true")
    prompt.locator(".rate-send").focus()
    page.keyboard.press("Enter")

    expect(page.locator(".rate-thanks")).to_be_visible()
    chat = Chat.objects.get(visitor_name="Ola")
    assert (chat.status, chat.close_reason, chat.rating, chat.rating_comment) == ("closed", "client", 5, "")

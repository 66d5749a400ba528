"""Issue 14, point 7, in real Chromium: the inbox by keyboard. Shortcuts for the next chat, the reply box, canned
responses, transfer and close (listed under "?"), a skip link, a visible focus, and new messages in a live region."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from chat.models import Chat, Message
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def two_chats(queue, agent_factory):
    anna = agent_factory(queue=queue, username="anna", first_name="Anna")
    chats = []
    for name in ("Ewa Kowalska", "Jan Nowak"):
        chat = chat_assign(chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name).pk,
                           agent_id=anna.pk)
        message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=f"Dzień dobry, tu {name}.")
        chats.append(chat)
    return anna, chats


def test_shortcuts_move_between_chats_and_reach_the_reply_box_transfer_and_help(new_context, inbox_login, two_chats):
    anna, (first, second) = two_chats
    page = inbox_login(new_context().new_page(), anna)

    page.keyboard.press("j")
    page.wait_for_url(f"**/inbox/chats/{first.pk}/")
    page.keyboard.press("j")
    page.wait_for_url(f"**/inbox/chats/{second.pk}/")
    page.keyboard.press("k")
    page.wait_for_url(f"**/inbox/chats/{first.pk}/")

    page.keyboard.press("r")
    expect(page.locator("#composer textarea")).to_be_focused()
    page.keyboard.type("j")  # typing is never taken over
    expect(page.locator("#composer textarea")).to_have_value("j")
    page.keyboard.press("Alt+ArrowDown")  # ... except by Alt+arrows
    page.wait_for_url(f"**/inbox/chats/{second.pk}/")

    page.keyboard.press("/")
    expect(page.locator("#composer textarea")).to_be_focused()
    expect(page.locator("#composer textarea")).to_have_value(re.compile(r"^/"))
    page.keyboard.press("Escape")  # leaves the field (closing a picker first, if one is open)
    page.keyboard.press("Escape")
    expect(page.locator("#composer textarea")).not_to_be_focused()

    page.keyboard.press("t")
    expect(page.locator("[data-testid=transfer-target]")).to_be_focused()
    page.keyboard.press("Escape")

    page.keyboard.press("?")
    dialog = page.locator("[data-testid=shortcuts]")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Next / previous of my chats")
    page.screenshot(path=str(SCREENSHOTS / "inbox-shortcuts.png"))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    page.keyboard.press("s")
    expect(page.locator("[data-testid=search-input]")).to_be_focused()


def test_a_skip_link_a_visible_focus_and_a_live_region_for_new_messages(new_context, inbox_login, two_chats):
    anna, (first, _second) = two_chats
    page = inbox_login(new_context().new_page(), anna)
    page.goto(page.url.rstrip("/") + f"/chats/{first.pk}/")

    page.keyboard.press("Tab")
    skip = page.locator("[data-testid=skip-link]")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # shown on screen once focused
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()

    messages = page.locator("#messages")
    expect(messages).to_have_attribute("role", "log")  # additions are announced by screen readers
    expect(messages).to_have_attribute("aria-live", "polite")
    message_post(chat_id=first.pk, sender=Message.Sender.CLIENT, body="Czy ktoś tam jest?")
    expect(messages.locator(".msg-client").last).to_contain_text("Czy ktoś tam jest?")

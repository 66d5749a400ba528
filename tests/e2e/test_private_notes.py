"""Issue 14 in real Chromium: a private note stays in the inbox, the widget's header follows the agent's reply at
once, the visitor's End asks first, and the closing line stays in view above the closed box."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat, Message
from chat.services.chats import DEFAULT_CLOSING_MESSAGE, system_text
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_widget import agent_page, open_assigned_chat, start_chat, visitor, visitor_writes  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_private_note_stays_in_the_inbox_and_the_widget_follows_the_reply(agent_page, visitor):  # noqa: F811
    start_chat(visitor, name="Ewa Lis", email="ewa@example.com")
    visitor_writes(visitor, "Dzień dobry, gdzie jest moja paczka?")
    open_assigned_chat(agent_page, "Ewa Lis")

    agent_page.check("#composer input[name=note]")
    expect(agent_page.locator("#composer form.reply")).to_have_class("reply is-note")
    agent_page.fill("#composer textarea", "Paczka utknęła w sortowni — nie obiecywać terminu.")
    agent_page.press("#composer textarea", "Enter")
    note = agent_page.locator("#messages .msg-note")
    expect(note).to_contain_text("Paczka utknęła w sortowni")
    expect(note.locator("[data-testid=private-note]")).to_be_visible()

    agent_page.uncheck("#composer input[name=note]")
    agent_page.fill("#composer textarea", "Sprawdzam, proszę chwilę poczekać.")
    agent_page.press("#composer textarea", "Enter")
    expect(agent_page.locator("#messages .msg-agent").last).to_contain_text("Sprawdzam")

    expect(visitor.locator(".msg-agent").last).to_contain_text("Sprawdzam")
    expect(visitor.locator(".sub")).to_have_text("Rozmawiasz z: Anna")  # not "waiting for an agent"
    expect(visitor.locator(".log")).not_to_contain_text("sortowni")
    chat = Chat.objects.get(visitor_name="Ewa Lis")
    assert Message.objects.filter(chat=chat, sender="note").count() == 1
    agent_page.screenshot(path=str(SCREENSHOTS / "private-note.png"))


def test_the_visitors_end_asks_first_and_the_closing_line_stays_in_view(agent_page, visitor):  # noqa: F811
    start_chat(visitor, name="Olga Wrona", email="olga@example.com")
    for n in range(8):  # enough lines for the log to scroll
        visitor_writes(visitor, f"Wiadomość numer {n}")

    visitor.click(".end")
    expect(visitor.locator(".confirm-end")).to_be_visible()
    visitor.click(".end-no")
    expect(visitor.locator(".confirm-end")).to_be_hidden()
    assert Chat.objects.get(visitor_name="Olga Wrona").status != Chat.Status.CLOSED

    visitor.click(".end")
    visitor.click(".end-yes")
    expect(visitor.locator(".closed")).to_be_visible()
    closing = visitor.locator(".msg-system").last
    expect(closing).to_contain_text(system_text(DEFAULT_CLOSING_MESSAGE))
    expect(closing).to_be_in_viewport()  # not hidden behind the closed box
    assert Chat.objects.get(visitor_name="Olga Wrona").close_reason == Chat.CloseReason.CLIENT

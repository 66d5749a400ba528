"""The reply box's "/" picker of canned responses in real Chromium: it opens, filters, moves with the arrow keys
and Enter inserts the text with its placeholders filled, without sending it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import CannedResponse, Chat, Message
from chat.services.canned import canned_create
from chat.services.chats import chat_assign, chat_start
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Scope = CannedResponse.Scope


def test_typing_slash_filters_and_enter_inserts_the_filled_text(new_context, inbox_login, agent, queue,
                                                                live_server):
    boss = factories.AdminFactory(username="boss")
    canned_create(actor=boss, scope=Scope.GLOBAL, shortcut="hello", title="Greeting",
                  body="Good morning {visitor_name}, this is {agent_name} from {queue}. How can I help?")
    canned_create(actor=boss, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="hours", title="Opening hours",
                  body="{queue} answers from 8 to 16 on weekdays.")
    canned_create(actor=agent, shortcut="thanks", title="Thank you", body="Thank you, {visitor_name}!")
    page = inbox_login(new_context().new_page(), agent)  # logged in: he may be given the chat
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Zofia Nowak")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    page.goto(f"{live_server.url}/inbox/chats/{chat.pk}/")
    box = page.locator("#composer textarea")
    picker = page.locator("[data-testid=canned-picker]")
    options = picker.locator("[role=option]")

    box.click()
    box.press_sequentially("/")
    expect(picker).to_be_visible()
    expect(options).to_have_count(3)  # his own first, then the queue's, then the global one
    expect(options.nth(0)).to_contain_text("/thanks")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    page.screenshot(path=str(SCREENSHOTS / "canned-picker.png"))
    box.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("Escape")
    expect(picker).to_be_hidden()

    box.fill("")
    box.press_sequentially("/o")  # "hello" and "hours" (and "Thank you" by its title) match "o"
    expect(options).to_have_count(3)
    box.press_sequentially("ur")  # "/our": only "hours" (shortcut) and "Opening hours" (title)
    expect(options).to_have_count(1)
    box.press("Backspace")
    box.press("Backspace")
    box.press("Backspace")
    box.press_sequentially("hel")
    expect(options).to_have_count(1)
    expect(options.first).to_contain_text("Greeting")
    box.press("Enter")

    expect(picker).to_be_hidden()
    expect(box).to_have_value(
        "Good morning Zofia Nowak, this is Anna Nowicka from Sprzedaż. How can I help?"
    )
    assert not Message.objects.filter(chat=chat, sender=Message.Sender.AGENT).exists()  # inserted, not sent

    # In the middle of a sentence, after a space, Tab inserts too; the text around stays.
    box.press_sequentially(" /thanks")
    expect(options).to_have_count(1)
    box.press("Tab")
    expect(box).to_have_value(
        "Good morning Zofia Nowak, this is Anna Nowicka from Sprzedaż. How can I help? Thank you, Zofia Nowak!"
    )
    box.press("Enter")  # the picker is closed: Enter sends as always
    expect(page.locator("#messages .msg-agent").last).to_contain_text("Thank you, Zofia Nowak!")

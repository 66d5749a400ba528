"""The inbox sidebar in real Chromium at 1366x768 (issue 14, point 8): the Pause menu stays open across live
updates, and "My chats" shows every chat of a full agent when nobody waits."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat, ChatSettings
from chat.services.chats import chat_assign, chat_start
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sprzedaż")


def website_chat(queue, name, key):
    return chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name, visitor_key=key)


def test_the_pause_menu_stays_open_while_the_sidebar_updates(new_context, inbox_login, agent_factory, queue):
    agent = agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=False)
    page = inbox_login(new_context().new_page(), agent)
    page.click("#presence-bar summary")
    menu = page.locator("[data-testid=pause-menu]")
    expect(menu).to_have_attribute("open", "")

    for i in range(2):  # two live updates of the sidebar (a new waiting chat each), each redrawing the bar
        website_chat(queue, f"Visitor {i}", key=f"pause-menu-key-{i:04d}")
        expect(page.locator("[data-testid=waiting-count]")).to_have_text(str(i + 1))
        expect(menu).to_have_attribute("open", "")
    expect(page.locator("#presence-bar .menu-item").first).to_be_visible()

    page.mouse.click(700, 400)  # elsewhere: it closes, and stays closed through the next update
    expect(menu).not_to_have_attribute("open", "")
    website_chat(queue, "Visitor 2", key="pause-menu-key-0002")
    expect(page.locator("[data-testid=waiting-count]")).to_have_text("3")
    expect(menu).not_to_have_attribute("open", "")


def test_my_chats_shows_all_six_chats_at_1366x768_when_nobody_waits(new_context, inbox_login, agent_factory, queue):
    ChatSettings.objects.filter(pk=1).update(max_concurrent_chats=6)
    agent = agent_factory(queue=queue, username="anna", first_name="Anna")
    for i in range(6):
        chat_assign(chat_id=website_chat(queue, f"Customer {i}", key=f"my-chats-key-{i:04d}").pk, agent_id=agent.pk)
    page = inbox_login(new_context().new_page(), agent)
    assert page.viewport_size == {"width": 1366, "height": 768}
    expect(page.locator("[data-testid=waiting-count]")).to_have_text("0")

    items = page.locator("[data-testid=my-chats] .chat-item")
    expect(items).to_have_count(6)
    box = page.locator("[data-testid=my-chats] .chat-list").bounding_box()
    for i in range(6):
        item = items.nth(i).bounding_box()
        assert item["y"] + item["height"] <= box["y"] + box["height"] + 0.5, f"chat {i + 1} is cut off"
    assert page.locator("[data-testid=my-chats] .chat-list").evaluate("el => el.scrollHeight <= el.clientHeight")

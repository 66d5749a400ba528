"""Issue 14, point 2, in real Chromium: nothing is missed. A chat assigned to an agent whose inbox is in a background
tab rings, raises a desktop notification and flashes the tab's title; a message in a chat that is not on his screen
does the same; the sound switch silences the ringing and is remembered; an unanswered chat counts down to its
no-reply transfer.

The page's surroundings are the test's: the browser is told the page is in the background (``document.hidden``,
``document.hasFocus``) and the notifications it shows are recorded, since a headless browser has no desktop to show
them on. Everything else is the product's own page against the live server (its 2 s polls bring the sidebar)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from agents.models import User
from chat.models import Chat, ChatSettings, Message
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The tab in the background, on the test's word, and the notifications recorded (the page's own Notification calls).
SURROUNDINGS = """
window.__away = false;
Object.defineProperty(document, "hidden", { get: () => window.__away });
document.hasFocus = () => !window.__away;
window.__shown = [];
const Real = window.Notification;
class Recorded extends Real {
  constructor(title, options) { super(title, options); window.__shown.push({ title, body: (options || {}).body }); }
}
Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
Recorded.requestPermission = (...args) => Real.requestPermission(...args);
window.Notification = Recorded;
"""


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sales")


def go_away(page) -> None:
    page.evaluate("window.__away = true")


def come_back(page) -> None:
    page.evaluate("window.__away = false; window.dispatchEvent(new Event('focus'))")


def test_a_new_chat_and_a_message_ring_notify_and_flash_while_the_inbox_is_in_the_background(
    new_context, inbox_login, agent_factory, queue
):
    agent = agent_factory(queue=queue, username="anna", first_name="Anna")
    context = new_context(permissions=["notifications"])
    context.add_init_script(SURROUNDINGS)
    page = inbox_login(context.new_page(), agent)
    page.locator("body").click(position={"x": 5, "y": 200})  # a gesture: browsers let a page play sound after one
    expect(page.locator("[data-testid=notify-permission]")).to_be_hidden()  # permission given already
    go_away(page)

    chat = chat_assign(
        chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan Kowalski").pk,
        agent_id=agent.pk,
    )

    html = page.locator("html")
    expect(html).to_have_attribute("data-last-notice", f"chat:{chat.pk}")
    expect(html).to_have_attribute("data-rings", "1")
    expect(html).to_have_attribute("data-title-flash", "on")
    expect(page).to_have_title(re.compile("\u2605"))
    assert page.evaluate("window.__shown") == [{"title": "New chat", "body": "Jan Kowalski"}]

    come_back(page)
    expect(html).not_to_have_attribute("data-title-flash", "on")
    expect(page).not_to_have_title(re.compile("\u2605"))

    # The sound off, remembered on the agent; a message in a chat that is not on the screen still notifies.
    page.locator("[data-testid=sound-toggle]").click()
    expect(page.locator("[data-testid=sound-toggle]")).to_have_attribute("aria-pressed", "false")
    assert User.objects.get(pk=agent.pk).notify_sound is False
    go_away(page)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Is anybody there?")

    expect(html).to_have_attribute("data-notices", "2")
    expect(html).to_have_attribute("data-last-notice", f"message:{chat.pk}")
    assert page.get_attribute("html", "data-rings") == "1"  # silent now
    assert page.evaluate("window.__shown")[-1] == {"title": "New message", "body": "Jan Kowalski"}

    page.reload()
    expect(page.locator("[data-testid=sound-toggle]")).to_have_attribute("aria-pressed", "false")


def test_the_permission_is_asked_from_a_button_and_an_unanswered_chat_counts_down(
    new_context, inbox_login, agent_factory, queue
):
    card = ChatSettings.load()
    card.no_reply_transfer_after = 90
    card.save()
    agent = agent_factory(queue=queue, username="anna", first_name="Anna")
    chat = chat_assign(
        chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa Nowak").pk,
        agent_id=agent.pk,
    )
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Dzień dobry, mam pytanie o zamówienie.")
    page = inbox_login(new_context().new_page(), agent)  # no permission given: the browser would ask

    button = page.locator("[data-testid=notify-permission]")
    expect(button).to_be_visible()
    expect(button).to_have_text("Notifications")
    expect(button).to_have_attribute("title", "Turn on desktop notifications")
    page.locator(".topbar").screenshot(path=str(SCREENSHOTS / "inbox-notify-permission.png"))

    item = page.locator("[data-testid=my-chats] .chat-item", has_text="Ewa Nowak")
    shown = item.locator("[data-testid=countdown]")
    expect(shown).to_have_text(re.compile(r"^transfers in 1:[0-2]\d$"))
    first = shown.inner_text()
    expect(shown).not_to_have_text(first)
    assert shown.inner_text() < first  # it counts down on the page, second by second ("1:27" < "1:28")
    item.screenshot(path=str(SCREENSHOTS / "inbox-countdown.png"))

    item.locator("a").click()
    page.fill("#composer textarea", "Dzień dobry, już sprawdzam.")
    page.press("#composer textarea", "Enter")
    expect(shown).to_have_count(0)  # answered: the countdown is gone

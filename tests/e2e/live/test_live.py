"""The push channel end to end (issue 13, points 1, 3 and 7): the widget on a page of another origin and the
agent's inbox, in real Chromium, against config.asgi on uvicorn with a Redis channel layer.

The latency test prints its figures (no timed assertion); the others pin what a user notices: a message that
arrives while the connection is down is on the screen after it comes back, once; a page whose WebSocket is
blocked by a proxy keeps working by polling and says nothing about it.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from agents.models import Presence
from chat.models import Chat, ChatSettings, Message
from chat.services.chats import chat_start
from chat.services.messages import message_post
from chat.services.rules.follow_inbox import presence_follow_inbox
from tests.e2e.live.helpers import conversation, live_open, widget_live_open
from tests.polling import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def live_server(asgi_live_server):
    """This module's pages are served by the ASGI server (inbox_login and demo_host take this one)."""
    return asgi_live_server


def chat_of(name: str) -> Chat:
    return Chat.objects.get(visitor_name=name)


def test_typing_shows_on_the_other_side_and_is_not_stored(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch
):
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)
    live_open(agent_page)
    widget_live_open(visitor)
    before = Message.objects.count()

    visitor.type(".composer textarea", "Dzień dobry", delay=30)
    expect(agent_page.get_by_test_id("typing")).to_be_visible()
    expect(agent_page.get_by_test_id("typing")).to_be_hidden(timeout=6000)

    agent_page.type("#composer textarea", "Już sprawdzam", delay=30)
    expect(visitor.locator(".typing")).to_have_text("Anna pisze…")
    assert Message.objects.count() == before


def test_a_dropped_connection_catches_up_without_losing_a_message(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch, asgi_live_server
):
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)
    live_open(agent_page)
    widget_live_open(visitor)
    chat = chat_of("Zofia Nowak")

    asgi_live_server.stop()  # every socket drops, as in a restart; the polls find no server either
    expect(agent_page.locator("html")).not_to_have_attribute("data-live", "open")
    for i in range(3):
        message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=f"Gdy nikt nie słuchał {i}")
    message_post(chat_id=chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk, body="Odpowiedź w ciszy")
    asgi_live_server.start()

    live_open(agent_page)  # the extension reconnected by itself ...
    widget_live_open(visitor)
    for i in range(3):  # ... and the resync brought what was said meanwhile, once each
        expect(agent_page.locator("#messages .msg-client", has_text=f"Gdy nikt nie słuchał {i}")).to_have_count(1)
    expect(visitor.locator(".msg-agent", has_text="Odpowiedź w ciszy")).to_have_count(1)


def test_a_blocked_websocket_falls_back_to_polling_and_says_nothing(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch
):
    # A proxy that refuses WebSockets: every attempt is closed before it opens.
    for context in (agent_context, visitor_context):
        context.route_web_socket("**/ws/**", lambda ws: ws.close())
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)

    visitor.fill(".composer textarea", "Czy ktoś tu jest?")
    visitor.press(".composer textarea", "Enter")
    expect(agent_page.locator("#messages .msg-client").last).to_contain_text("Czy ktoś tu jest?")
    agent_page.fill("#composer textarea", "Tak, słucham")
    agent_page.press("#composer textarea", "Enter")
    expect(visitor.locator(".msg-agent").last).to_contain_text("Tak, słucham")

    assert agent_page.locator("html").get_attribute("data-live") is None
    assert visitor.locator("#parley-widget").get_attribute("data-live") is None
    expect(visitor.locator(".composer .error")).to_be_hidden()
    expect(agent_page.locator(".flash-error")).to_have_count(0)


def test_closing_the_inbox_takes_the_agent_off_and_the_next_chat_goes_to_a_colleague(
    new_context, inbox_login, agent_factory, queue, eager_dispatch, settings
):
    """Point 4: an agent who closes his inbox is no longer given chats once the card's time has passed (the
    rule runs under a clock moved past it); a colleague whose inbox stays open keeps getting them."""
    settings.LIVE_HEARTBEAT_SECONDS = 1  # the open page says "still here" every second
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=False)
    bartek = agent_factory(queue=queue, username="bartek", first_name="Bartek", logged_in=False)
    anna_context = new_context()
    anna_page = inbox_login(anna_context.new_page(), anna)
    bartek_page = inbox_login(new_context().new_page(), bartek)
    live_open(anna_page)
    live_open(bartek_page)
    seen_open = Presence.objects.get(agent=anna).live_seen_at

    anna_context.close()  # Anna closes the browser
    poll_until(lambda: Presence.objects.get(agent=anna).live_seen_at > seen_open, message="the close to be noted")

    later = timezone.now() + timedelta(seconds=ChatSettings.load().no_inbox_after + 1)
    with time_machine.travel(later, tick=True):
        # Bartek's open page keeps saying so in the moved clock too.
        poll_until(lambda: Presence.objects.get(agent=bartek).live_seen_at >= later, message="Bartek's heartbeat")
        assert presence_follow_inbox() == 1
        assert not Presence.objects.get(agent=anna).logged_in
        assert Presence.objects.get(agent=bartek).logged_in

        chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Nowy Klient",
                          visitor_key="n" * 32)
        chat.refresh_from_db()
        assert chat.agent_id == bartek.pk
        expect(bartek_page.locator("[data-testid=my-chats] .chat-item", has_text="Nowy Klient")).to_be_visible()


# Counts the nudges the inbox's socket brought about new messages, on <html data-nudges> (the page's CSP forbids
# wait_for_function's string predicates).
COUNT_NUDGES = """() => {
  let nudges = 0;
  document.addEventListener("htmx:wsBeforeMessage", (e) => {
    if (/"chat\\.message"/.test(e.detail.message)) { document.documentElement.dataset.nudges = String(++nudges); }
  });
}"""


def nudges(page, count: int) -> None:
    expect(page.locator("html")).to_have_attribute("data-nudges", str(count))


def test_a_message_nudged_while_the_chat_poll_is_in_flight_shows_at_once(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch
):
    """The race behind a flaky latency run: a nudge that comes while the open chat's poll is on its way (a poll
    the server answered before the new message was stored) was queued by htmx on the poll element that the
    answer then replaces, and dropped with it; the message waited for the 30 s safety poll. The first poll's
    answer is held here until the second message's nudge has come."""
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)
    live_open(agent_page)
    chat = chat_of("Zofia Nowak")
    agent_page.evaluate(COUNT_NUDGES)
    held = []

    def hold(route):
        if held:
            route.continue_()  # only the first poll is held
            return
        held.append((route, route.fetch()))  # the server answers now; the page gets the answer later

    agent_page.route("**/inbox/chats/*/poll/**", hold)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Pierwsze pytanie")
    nudges(agent_page, 1)
    deadline = time.monotonic() + 10
    while not held and time.monotonic() < deadline:
        agent_page.wait_for_timeout(20)  # lets Playwright run the route handler
    assert held, "the nudge did not make the page poll"

    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Drugie pytanie")
    nudges(agent_page, 2)  # came while the first poll is still on its way
    route, response = held[0]
    route.fulfill(response=response)

    messages = agent_page.locator("#messages .msg-client")
    expect(messages.filter(has_text="Pierwsze pytanie")).to_have_count(1)
    # By the push, not by the safety poll 30 s later (nor by the 2 s polls, which stand down while the socket is open).
    expect(messages.filter(has_text="Drugie pytanie")).to_have_count(1, timeout=5000)
    expect(messages.filter(has_text="Pierwsze pytanie")).to_have_count(1)
    live_open(agent_page)

"""The visitor sees his place in the queue (issue 15, point 6), in real Chromium: the widget on a page of another
origin says "You are 2nd in line, about 10 minutes." and, when the chat ahead is assigned, "You are next …" — pushed
over the socket; with WebSockets blocked, the fallback poll brings the same change. Against config.asgi on uvicorn
with a Redis channel layer (tests/e2e/live/conftest.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_start
from tests import factories
from tests.e2e.live.helpers import widget_live_open
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_widget import start_chat

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_server(asgi_live_server):
    """This module's pages are served by the ASGI server (demo_host takes this one)."""
    return asgi_live_server


@pytest.fixture
def line(queue, agent_factory, eager_dispatch):
    """A queue that lately assigned a chat every five minutes, a customer already waiting in it (nobody of the
    queue is logged in, so nothing is assigned by itself), and Bartek, logged in, who takes chats by hand."""
    now = timezone.now()
    for minutes in (2, 7, 12, 17, 22, 27):
        done = factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=factories.UserFactory())
        ChatEvent.objects.create(chat=done, kind=ChatEvent.Kind.ASSIGNED, queue=queue,
                                 created_at=now - timedelta(minutes=minutes))
    ahead = chat_start(channel="website", queue_id=queue.pk, visitor_name="Jan", visitor_key="ahead-visitor-0001")
    return {"ahead": ahead, "bartek": agent_factory(username="bartek", first_name="Bartek", logged_in=True)}


# The host page says it is in English (the demo page is Polish): the widget speaks the page's language.
ENGLISH_PAGE = """new MutationObserver(function (_records, observer) {
  if (document.documentElement) { document.documentElement.lang = "en"; observer.disconnect(); }
}).observe(document, {childList: true});"""


def test_the_place_moves_up_live_when_the_chat_ahead_is_assigned(new_context, demo_host, queue, line):
    visitor = new_context(viewport={"width": 1280, "height": 800}, locale="en-GB").new_page()
    visitor.add_init_script(ENGLISH_PAGE)
    visitor.goto(demo_host(queue))
    start_chat(visitor, name="Zoe Newman", email="zoe@example.com")
    widget_live_open(visitor)

    place = visitor.locator(".place")
    expect(place).to_have_text("You are 2nd in line, about 10 minutes.")
    assert place.get_attribute("aria-live") == "polite"
    visitor.screenshot(path=str(SCREENSHOTS / "widget-queue-place-2nd.png"))

    chat_assign(chat_id=line["ahead"].pk, agent_id=line["bartek"].pk)

    # Seven assignments in the last half hour now: 30 min / 7, rounded up.
    expect(place).to_have_text("You are next in line, about 5 minutes.")
    visitor.screenshot(path=str(SCREENSHOTS / "widget-queue-place-next.png"))

    mine = Chat.objects.get(visitor_name="Zoe Newman")
    chat_assign(chat_id=mine.pk, agent_id=line["bartek"].pk)
    expect(visitor.locator(".sub")).to_contain_text("Bartek")
    expect(place).to_be_hidden()


def test_with_websockets_blocked_the_poll_brings_the_new_place(new_context, demo_host, queue, line):
    context = new_context(viewport={"width": 1280, "height": 800}, locale="pl-PL")
    context.route_web_socket("**/ws/**", lambda ws: ws.close())  # a proxy that refuses WebSockets
    visitor = context.new_page()
    visitor.goto(demo_host(queue))
    start_chat(visitor)

    place = visitor.locator(".place")
    expect(place).to_have_text("Jesteś 2. w kolejce, około 10 minut.")

    chat_assign(chat_id=line["ahead"].pk, agent_id=line["bartek"].pk)

    expect(place).to_have_text("Jesteś następną osobą w kolejce, około 5 minut.", timeout=6000)
    visitor.screenshot(path=str(SCREENSHOTS / "widget-queue-place-pl.png"))
    assert visitor.locator("#parley-widget").get_attribute("data-live") is None

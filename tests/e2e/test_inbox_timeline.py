"""Issue 15 in real Chromium: the chat's timeline under its header tells the agent why the chat came to him — the
first agent chosen by queue priority over the runner-up, then the transfer with its note — and stays open while
the chat changes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from chat.services.chats import chat_start, chat_transfer
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sales")


def test_the_timeline_tells_why_this_agent(new_context, inbox_login, live_server, agent_factory, queue, eager_dispatch):
    anna = agent_factory(queue=queue, priority=5, username="anna", first_name="Anna", last_name="Nowak")
    jan = agent_factory(queue=queue, priority=1, username="jan", first_name="Jan", last_name="Kowalski")
    page = inbox_login(new_context().new_page(), jan)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa Lis",
                      visitor_email="ewa@example.com")
    dispatch()
    assert Chat.objects.get(pk=chat.pk).agent == anna
    message_post(chat_id=chat.pk, sender="client", body="Good morning, I would like a refund for order 1234.")
    message_post(chat_id=chat.pk, sender="agent", author_id=anna.pk, body="Of course, let me pass you to Jan.")
    chat_transfer(chat_id=chat.pk, to_agent_id=jan.pk, actor=anna, note="Refund of order 1234, paid by card.")

    page.goto(f"{live_server.url}/inbox/chats/{chat.pk}/")
    timeline = page.locator("[data-testid=timeline]")
    expect(timeline.locator("[data-testid=timeline-latest]")).to_have_text(
        "Transferred from Anna Nowak to Jan Kowalski. Note: Refund of order 1234, paid by card."
    )
    timeline.locator("summary").click()
    items = timeline.locator("[data-testid=timeline-list] li")
    expect(items.nth(2)).to_contain_text("Assigned to Anna Nowak: a higher priority in Sales than Jan Kowalski.")
    expect(items).to_have_count(4)

    message_post(chat_id=chat.pk, sender="client", body="Thank you!")  # the chat moves on: the panel stays open
    expect(page.locator("#messages .msg-client").last).to_contain_text("Thank you!")
    expect(timeline).to_have_attribute("open", "")
    page.screenshot(path=str(SCREENSHOTS / "inbox-timeline.png"))

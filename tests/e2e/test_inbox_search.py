"""Issue 14, point 5, in real Chromium: the agent finds a chat by a word of its messages from the top bar and opens
it; an earlier chat of the customer opens read-only from the card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat, Message
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sales")


def test_an_agent_finds_a_chat_by_a_word_and_reads_an_earlier_chat(new_context, inbox_login, agent_factory, queue):
    anna = agent_factory(queue=queue, username="anna", first_name="Anna")
    customer = factories.CustomerFactory(name="Jan Nowak", email="jan@example.com")
    earlier = chat_assign(chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan Nowak",
                                             visitor_email="jan@example.com").pk, agent_id=anna.pk)
    Chat.objects.filter(pk=earlier.pk).update(customer=customer, customer_verified=True)
    message_post(chat_id=earlier.pk, sender=Message.Sender.CLIENT, body="Reklamacja butów, rozmiar 42.")
    chat_close(chat_id=earlier.pk, reason=Chat.CloseReason.AGENT)
    now = chat_assign(chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan Nowak",
                                         visitor_email="jan@example.com").pk, agent_id=anna.pk)
    Chat.objects.filter(pk=now.pk).update(customer=customer, customer_verified=True)
    message_post(chat_id=now.pk, sender=Message.Sender.CLIENT, body="Czy buty z reklamacji już wysłane?")
    page = inbox_login(new_context().new_page(), anna)

    page.fill("[data-testid=search-input]", "reklamacj")
    page.press("[data-testid=search-input]", "Enter")
    results = page.locator("[data-testid=search-results] .result")
    expect(results).to_have_count(2)  # the open chat and the closed one: both are his
    page.screenshot(path=str(SCREENSHOTS / "inbox-search.png"))

    page.locator(f".result[data-chat-id='{now.pk}'] a").click()
    page.wait_for_url(f"**/inbox/chats/{now.pk}/")
    page.locator("[data-testid=history-link]").first.click()
    page.wait_for_url(f"**/inbox/chats/{now.pk}/history/{earlier.pk}/")
    expect(page.locator("[data-testid=history-chat]")).to_contain_text("Reklamacja butów, rozmiar 42.")
    expect(page.locator("#composer")).to_have_count(0)  # read-only

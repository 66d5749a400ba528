"""The customer card's CRM in real Chromium (issue 14, point 6): an agent adds the visitor to the CRM and edits
him without the admin; a long e-mail stays on one line in the Polish card."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Chat
from chat.services.chats import chat_assign, chat_start
from crm.models import Customer
from tests import factories
from tests.e2e.shots import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "aleksandra.konstantynopolitanczykiewiczowna@przedsiebiorstwo-handlowe.example.pl"


def test_an_agent_adds_the_visitor_to_the_crm_and_edits_him_in_the_polish_card(new_context, inbox_login,
                                                                                agent_factory):
    queue = factories.QueueFactory(name="Sprzedaż")
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=False)
    page = inbox_login(new_context(locale="pl-PL").new_page(), anna)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Aleksandra K.",
                      visitor_email=EMAIL)
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    page.goto(page.url + f"chats/{chat.pk}/")

    card = page.locator("[data-testid=customer-card]")
    card.locator("[data-testid=customer-add] summary").click()
    expect(card.locator("#id_customer-email")).to_have_value(EMAIL)
    card.locator("#id_customer-phone").fill("+48 600 100 200")
    card.locator("[data-testid=customer-add-save]").click()
    expect(card.locator("[data-testid=verified]")).to_be_visible()
    assert Customer.objects.get().phone == "+48 600 100 200"

    email = card.locator("[data-testid=customer-email]")
    expect(email).to_have_attribute("title", EMAIL)
    line = float(email.evaluate("el => parseFloat(getComputedStyle(el).lineHeight) || 18"))
    assert email.bounding_box()["height"] <= line * 1.5  # one line, cut with an ellipsis
    page.screenshot(path=str(SCREENSHOTS / "inbox-customer-card.png"))

    card.locator("[data-testid=customer-edit] summary").click()
    card.locator("#id_customer-name").fill("Aleksandra Kowalska")
    card.locator("[data-testid=customer-edit-save]").click()
    expect(card.locator(".big")).to_contain_text("Aleksandra Kowalska")
    assert Customer.objects.get().name == "Aleksandra Kowalska"

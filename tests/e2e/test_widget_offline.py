"""The widget's offline form (issue 17) in real Chromium, on a page of another origin: outside business hours (or
with nobody logged in) the visitor leaves a message instead of starting a chat, sees each error next to its field,
and gets a thank-you and an acknowledgement e-mail (its HTML rendered here too, for docs/screenshots/)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.core import mail
from playwright.sync_api import expect

from agents.services import presence_login
from chat.models import Chat, OfflineEmail, OpeningHours
from tests import factories
from tests.e2e.shots import SCREENSHOTS
from tests.e2e.test_accessibility import axe_check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WARSAW = zoneinfo.ZoneInfo("Europe/Warsaw")
SATURDAY_NOON = dt.datetime(2026, 12, 5, 12, 0, tzinfo=WARSAW)


@pytest.fixture
def saturday(time_machine):
    """Saturday noon, Warsaw time, and the clock goes on (the servers and the browser need it to)."""
    time_machine.move_to(SATURDAY_NOON, tick=True)


@pytest.fixture
def queue(transactional_db):
    """Sales, open Monday to Friday 08:00–16:00."""
    sales = factories.QueueFactory(name="Sales", business_hours=True, time_zone="Europe/Warsaw")
    for weekday in range(5):
        OpeningHours.objects.create(queue=sales, weekday=weekday, opens=dt.time(8), closes=dt.time(16))
    return sales


def english(page, url: str):
    """The demo website says lang="pl"; in this visitor's browser its page says "en" as soon as it is parsed, before
    the widget's script reads it (the widget speaks the page's language)."""
    page.add_init_script(
        "new MutationObserver((_, observer) => { if (document.documentElement) {"
        " document.documentElement.lang = 'en'; observer.disconnect(); } })"
        ".observe(document, {childList: true});"
    )
    page.goto(url)
    return page


def test_outside_business_hours_the_visitor_leaves_a_message_and_gets_it_acknowledged_by_e_mail(
    new_context, demo_host, queue, saturday, eager_dispatch
):
    visitor = english(new_context(viewport={"width": 1280, "height": 860}).new_page(), demo_host(queue))
    visitor.click(".launcher")
    form = visitor.locator(".offline")
    expect(form).to_be_visible()
    expect(visitor.locator(".prechat")).to_be_hidden()
    expect(visitor.locator(".offline-status")).to_have_text("We are closed now. We open on Monday at 08:00.")
    expect(visitor.locator(".sub")).to_have_text("Leave us a message")
    # Every field has its label (the accessible name a screen reader reads).
    for label in ("Name", "E-mail", "Message"):
        expect(form.get_by_label(label, exact=True)).to_be_visible()

    # Sent empty: each error next to its field, the first field focused; nothing reaches the server.
    form.get_by_role("button", name="Send the message").click()
    expect(visitor.locator("#pw-off-name-err")).to_have_text("Tell us your name.")
    expect(visitor.locator("#pw-off-email-err")).to_have_text("Give your e-mail address: we will answer there.")
    expect(visitor.locator("#pw-off-message-err")).to_have_text("Write your message.")
    expect(form.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Name", exact=True)).to_be_focused()
    assert not Chat.objects.exists()

    form.get_by_label("Name", exact=True).fill("Zofia Nowak")
    expect(visitor.locator("#pw-off-name-err")).to_be_hidden()
    form.get_by_label("E-mail", exact=True).fill("zofia@example")
    form.get_by_label("Message", exact=True).fill(
        "Good morning! Can you deliver a bouquet of red roses on Sunday, 13 December, to Kraków?\nThank you, Zofia")
    visitor.set_input_files("#pw-off-file", files=[{"name": "card.txt", "mimeType": "text/plain",
                                                    "buffer": b"For Grandma, with love"}])
    form.get_by_role("button", name="Send the message").click()
    expect(visitor.locator("#pw-off-email-err")).to_have_text("Enter a valid e-mail address.")
    assert axe_check(visitor, "the widget's offline form, an error shown") == []
    visitor.screenshot(path=str(SCREENSHOTS / "widget-offline-form.png"))

    form.get_by_label("E-mail", exact=True).fill("zofia@example.com")
    form.get_by_role("button", name="Send the message").click()
    thanks = visitor.locator(".offline-thanks")
    expect(thanks).to_be_visible()
    expect(thanks).to_contain_text("We have received your message and will answer you by e-mail at "
                                   "zofia@example.com.")
    expect(thanks).to_contain_text("We open on Monday at 08:00.")
    visitor.screenshot(path=str(SCREENSHOTS / "widget-offline-thanks.png"))

    chat = Chat.objects.get()
    assert (chat.offline, chat.status, chat.visitor_email, chat.hours_held_at is not None) == (
        True, "waiting", "zofia@example.com", True)
    assert [a.original_name for a in chat.messages.get().attachments.all()] == ["card.txt"]
    assert OfflineEmail.objects.get().status == "sent"
    [email] = mail.outbox
    assert email.subject == f"We have received your message (no. {chat.pk})"
    assert "we open on Monday at 08:00" in email.body

    # The acknowledgement as the visitor's mail program shows its HTML part.
    reader = new_context(viewport={"width": 720, "height": 760}).new_page()
    reader.set_content(email.alternatives[0][0])
    expect(reader.get_by_text("Can you deliver a bouquet")).to_be_visible()
    reader.screenshot(path=str(SCREENSHOTS / "offline-email.png"), full_page=True)

    # Another message: the form again, the name and e-mail kept.
    thanks.get_by_role("button", name="Write another message").click()
    expect(form).to_be_visible()
    expect(form.get_by_label("E-mail", exact=True)).to_have_value("zofia@example.com")
    expect(form.get_by_label("Message", exact=True)).to_have_value("")


def test_with_nobody_logged_in_the_polish_widget_offers_the_form_and_the_chat_once_an_agent_logs_in(
    new_context, demo_host, agent_factory
):
    support = factories.QueueFactory(name="Wsparcie", offline_without_agents=True)
    ewa = agent_factory(queue=support, username="ewa", logged_in=False)
    visitor = new_context(locale="pl-PL").new_page()
    visitor.goto(demo_host(support))
    visitor.click(".launcher")
    expect(visitor.locator(".offline-status")).to_have_text("Nikt z nas nie może teraz rozmawiać.")
    expect(visitor.locator(".offline button[type=submit]")).to_have_text("Wyślij wiadomość")
    visitor.click(".hide")

    presence_login(agent_id=ewa.pk)
    visitor.click(".launcher")  # opened again: the widget asks again
    expect(visitor.locator(".prechat")).to_be_visible()
    expect(visitor.locator(".offline")).to_be_hidden()

"""The agent inbox in real Chromium: Assign, internal chats, the presence bar and a busy laptop screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from agents.models import PauseType, Presence
from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS
from tests.polling import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sprzedaż")


def website_chat(queue, name, **fields):
    return chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name, **fields)


def test_a_chat_whose_automatic_assignment_stopped_is_taken_with_the_assign_button(
    new_context, inbox_login, agent_factory, queue, eager_dispatch
):
    agent = agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=False)
    chat = website_chat(queue, "Halted Visitor")
    Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now(),
                                           queued_at=timezone.now() - timedelta(hours=25))
    page = inbox_login(new_context().new_page(), agent)  # logging in dispatches: a halted chat is not given out
    assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING

    item = page.locator("[data-testid=waiting-list] .chat-item", has_text="Halted Visitor")
    expect(item).to_have_class("chat-item is-stopped")
    item.locator("[data-testid=assign]").click()
    page.wait_for_url(f"**/inbox/chats/{chat.pk}/")
    expect(page.locator("[data-testid=chat-status]")).to_contain_text("Assigned")
    chat.refresh_from_db()
    assert (chat.status, chat.agent_id) == (Chat.Status.ASSIGNED, agent.pk)
    assert ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.ASSIGNED).strategy == "manual"


def test_two_agents_chat_internally_without_reloading(new_context, inbox_login, agent_factory, queue):
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka")
    bartek = agent_factory(queue=queue, username="bartek", first_name="Bartek", last_name="Zieliński")
    pa = inbox_login(new_context().new_page(), anna)
    pb = inbox_login(new_context().new_page(), bartek)
    pb.evaluate("window.__sameDocument = true")

    pa.select_option("#id_peer", str(bartek.pk))
    pa.click(".internal-start button[type=submit]")
    pa.wait_for_url("**/inbox/chats/*/")
    pa.fill("#composer textarea", "Bartek, masz chwilę? Klient pyta o fakturę.")
    pa.press("#composer textarea", "Enter")
    expect(pa.locator("#messages .msg-agent")).to_contain_text("masz chwilę?")

    item = pb.locator("[data-testid=internal-chats] .chat-item", has_text="Anna Nowicka")
    expect(item.locator("[data-testid=unread]")).to_have_text("1")
    assert pb.evaluate("window.__sameDocument") is True
    item.locator("a").click()
    expect(pb.locator("#messages")).to_contain_text("masz chwilę?")
    pb.fill("#composer textarea", "Jasne, już sprawdzam.")
    pb.press("#composer textarea", "Enter")
    expect(pa.locator("#messages .msg-agent").last).to_contain_text("Jasne, już sprawdzam.")

    chat = Chat.objects.get(channel=Chat.Channel.INTERNAL)
    assert (chat.initiator_id, chat.agent_id) == (anna.pk, bartek.pk)
    assert list(chat.messages.values_list("author_id", flat=True)) == [anna.pk, bartek.pk]
    pa.screenshot(path=str(SCREENSHOTS / "inbox-internal.png"))


def test_the_presence_bar_pauses_the_agent_and_dispatch_stops_giving_him_chats(
    new_context, inbox_login, agent_factory, queue, eager_dispatch
):
    training = PauseType.objects.create(name="Training")  # an administrator's own pause type
    agent = agent_factory(queue=queue, username="anna", first_name="Anna", logged_in=False)
    page = inbox_login(new_context().new_page(), agent)
    expect(page.locator("[data-testid=presence-status]")).to_contain_text("Available")

    page.click("#presence-bar summary")
    page.click("#presence-bar .menu-item:has-text('Training')")
    expect(page.locator("[data-testid=presence-status]")).to_contain_text("Training")
    assert Presence.objects.get(agent=agent).pause_type == training

    website_chat(queue, "Paused Period Visitor")  # dispatch runs after commit: no available agent
    assert Chat.objects.get().status == Chat.Status.WAITING
    expect(page.locator("[data-testid=waiting-list]")).to_contain_text("Paused Period Visitor")
    expect(page.locator("[data-testid=my-chats]")).not_to_contain_text("Paused Period Visitor")

    page.click("#presence-bar button:has-text('Available')")
    expect(page.locator("[data-testid=presence-status]")).to_contain_text("Available")
    expect(page.locator("[data-testid=my-chats]")).to_contain_text("Paused Period Visitor")
    assert Chat.objects.get().agent_id == agent.pk


def test_a_phone_call_set_by_the_pbx_shows_in_the_presence_bar(new_context, inbox_login, agent_factory, queue):
    from agents.services import presence_set_phone_call

    agent = agent_factory(queue=queue, username="anna", first_name="Anna")
    page = inbox_login(new_context().new_page(), agent)
    presence_set_phone_call(agent_id=agent.pk, on_call=True)
    expect(page.locator("[data-testid=phone-call]")).to_be_visible()


def test_the_inbox_stays_usable_on_a_laptop_with_three_open_chats_and_fifty_waiting(
    new_context, inbox_login, agent_factory, queue
):
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka")
    bartek = agent_factory(queue=queue, username="bartek", first_name="Bartek", last_name="Zieliński")
    support = factories.QueueFactory(name="Wsparcie")
    factories.MembershipFactory(agent=anna, queue=support)
    vip = factories.CustomerFactory(name="Katarzyna Wójcik", email="k.wojcik@example.com", vip=True, owner=anna)
    conversations = [
        ("Katarzyna Wójcik", vip.email, [("client", "Dzień dobry, zamówienie 4411 jeszcze nie dotarło."),
                                         ("agent", "Już sprawdzam status przesyłki."),
                                         ("client", "Dziękuję! Potrzebuję go na piątek.")]),
        ("Tomasz Mazur", "tomasz@example.com", [("client", "Czy macie rabaty dla firm?")]),
        ("Ola", "", [("client", "Jak zmienić adres dostawy?"), ("client", "To pilne.")]),
    ]
    open_chats = []
    for i, (name, email, lines) in enumerate(conversations):
        chat = website_chat(queue if i != 2 else support, name, visitor_email=email,
                            page_url="https://kwiaciarnia.example.com/koszyk", visitor_key=f"laptop-key-{i:08d}")
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
        for sender, body in lines:
            message_post(chat_id=chat.pk, sender=sender, body=body, author_id=anna.pk if sender == "agent" else None)
        open_chats.append(chat)
    earlier = website_chat(queue, "Katarzyna Wójcik", visitor_email=vip.email, visitor_key="laptop-earlier-0001")
    chat_assign(chat_id=earlier.pk, agent_id=bartek.pk)
    Chat.objects.filter(pk=earlier.pk).update(status=Chat.Status.CLOSED, closed_at=timezone.now() - timedelta(days=3),
                                              created_at=timezone.now() - timedelta(days=3), close_reason="agent")
    names = ["Jan", "Maria", "Piotr", "Anna", "Paweł", "Ewa", "Michał", "Zofia", "Adam", "Magda"]
    surnames = ["Kowalski", "Nowak", "Lewandowski", "Dąbrowska", "Kamiński", "Zając"]
    for i in range(50):
        chat = website_chat(support if i % 3 else queue, f"{names[i % 10]} {surnames[i % 6]}",
                            visitor_key=f"laptop-waiting-{i:04d}")
        Chat.objects.filter(pk=chat.pk).update(queued_at=timezone.now() - timedelta(minutes=95 - i))
    stopped = Chat.objects.waiting().order_by("queued_at").first()
    Chat.objects.filter(pk=stopped.pk).update(auto_assign_stopped_at=timezone.now())

    page = inbox_login(new_context().new_page(), anna)
    expect(page.locator("[data-testid=waiting-count]")).to_have_text("50")
    expect(page.locator("[data-testid=my-chats] .chat-item")).to_have_count(3)
    first = open_chats[0]
    page.locator(f"[data-testid=my-chats] [data-chat-id='{first.pk}'] a").click()
    expect(page.locator("#messages")).to_contain_text("Potrzebuję go na piątek")

    viewport = page.viewport_size
    # Everything an agent needs is on the screen at once: reply box, chat actions, the customer card.
    for selector in ("#composer textarea", "[data-testid=send]", "[data-testid=close-chat]",
                     "[data-testid=transfer-target]", "[data-testid=customer-card]", "[data-testid=presence-bar]"):
        box = page.locator(selector).bounding_box()
        assert box, selector
        assert box["y"] + box["height"] <= viewport["height"], selector
        assert box["x"] + box["width"] <= viewport["width"], selector
    # The page itself does not scroll; the waiting list does, and its last chat can be reached.
    assert page.evaluate("document.documentElement.scrollHeight") <= viewport["height"]
    waiting = page.locator(".waiting-list")
    assert waiting.evaluate("el => el.scrollHeight > el.clientHeight")
    last = page.locator(".waiting-list .chat-item").last
    last.scroll_into_view_if_needed()
    expect(last).to_be_in_viewport()
    waiting.evaluate("el => el.scrollTop = 0")
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"))

    page.goto(page.url)  # the same screen in Polish
    page.locator(".lang-switch").first.locator("button[value=pl]").click()
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    page.screenshot(path=str(SCREENSHOTS / "inbox-pl.png"))

    login = new_context().new_page()
    login.goto(page.url.split("/inbox/")[0] + "/inbox/login/")
    login.screenshot(path=str(SCREENSHOTS / "inbox-login.png"))
    poll_until(lambda: Message.objects.exists(), message="a message")


def test_a_transfer_appears_in_the_colleagues_inbox_without_reloading(new_context, inbox_login, agent_factory, queue):
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka")
    bartek = agent_factory(queue=queue, username="bartek", first_name="Bartek", last_name="Zieliński")
    chat = website_chat(queue, "Transferred Visitor")
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Proszę o fakturę VAT.")
    pa = inbox_login(new_context().new_page(), anna)
    pb = inbox_login(new_context().new_page(), bartek)
    pb.evaluate("window.__sameDocument = true")
    expect(pb.locator("[data-testid=my-chats]")).not_to_contain_text("Transferred Visitor")

    pa.locator(f"[data-testid=my-chats] [data-chat-id='{chat.pk}'] a").click()
    pa.select_option("[data-testid=transfer-target]", f"agent:{bartek.pk}")
    pa.fill("[data-testid=transfer-note]", "Faktura na firmę, NIP w poprzedniej rozmowie.")
    pa.click("form.transfer button[type=submit]")
    pa.wait_for_url("**/inbox/")
    expect(pa.locator("[data-testid=my-chats]")).not_to_contain_text("Transferred Visitor")

    item = pb.locator("[data-testid=my-chats] .chat-item", has_text="Transferred Visitor")
    expect(item).to_be_visible()
    assert Chat.objects.get(pk=chat.pk).agent_id == bartek.pk
    message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body="Czy ktoś tu jest?")
    expect(item.locator("[data-testid=unread]")).to_have_text("1")
    expect(pb).to_have_title("(1) Inbox · Parley")
    assert pb.evaluate("window.__sameDocument") is True
    # The note is at the top of the chat for Bartek, and the system line tells both sides who answers now.
    item.locator("a").click()
    expect(pb.locator("[data-testid=transfer-note-shown]")).to_contain_text("NIP w poprzedniej rozmowie")
    expect(pb.locator("#messages .msg-system")).to_contain_text("Bartek")

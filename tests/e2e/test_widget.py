"""The website widget on a page of another origin, talking to an agent in the inbox, in real Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat.models import Attachment, Chat, ChatSettings, Message
from chat.services.messages import message_post
from tests import factories
from tests.e2e.shots import SCREENSHOTS
from tests.polling import poll_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]



@pytest.fixture
def agent_page(new_context, inbox_login, agent, eager_dispatch):
    page = inbox_login(new_context().new_page(), agent)
    page.evaluate("window.__sameDocument = true")  # gone if the page ever reloads
    return page


@pytest.fixture
def visitor(new_context, demo_host, queue):
    page = new_context(viewport={"width": 1280, "height": 800}, locale="pl-PL").new_page()
    page.goto(demo_host(queue))
    return page


def card_update(**fields):
    ChatSettings.load()  # the row exists even if a flush removed it
    ChatSettings.objects.filter(pk=ChatSettings.SINGLETON_PK).update(**fields)


def start_chat(visitor, *, name="Zofia Nowak", email="zofia@example.com"):
    visitor.click(".launcher")
    visitor.fill(".prechat input[name=name]", name)
    visitor.fill(".prechat input[name=email]", email)
    visitor.click(".prechat button[type=submit]")
    expect(visitor.locator(".conversation")).to_be_visible()


def visitor_writes(visitor, text):
    visitor.fill(".composer textarea", text)
    visitor.press(".composer textarea", "Enter")
    expect(visitor.locator(".msg-client").last).to_contain_text(text)


def agent_writes(page, text):
    page.fill("#composer textarea", text)
    page.press("#composer textarea", "Enter")
    expect(page.locator("#messages .msg-agent").last).to_contain_text(text)


def open_assigned_chat(agent_page, name):
    item = agent_page.locator("[data-testid=my-chats] .chat-item", has_text=name)
    expect(item).to_be_visible()
    assert agent_page.evaluate("window.__sameDocument") is True  # it came without reloading
    item.locator("a").click()
    expect(agent_page.locator("#chat-header")).to_contain_text(name)


def test_a_visitor_on_another_origin_chats_with_the_agent_the_chat_was_assigned_to(agent_page, visitor, agent):
    start_chat(visitor)
    visitor_writes(visitor, "Dzień dobry, szukam bukietu na urodziny.")

    open_assigned_chat(agent_page, "Zofia Nowak")
    chat = Chat.objects.get(visitor_name="Zofia Nowak")
    assert (chat.status, chat.agent_id, chat.channel) == (Chat.Status.ASSIGNED, agent.pk, Chat.Channel.WEBSITE)
    expect(agent_page.locator("#messages")).to_contain_text("szukam bukietu")

    agent_writes(agent_page, "Dzień dobry! Jaki kolor kwiatów Pani lubi?")
    expect(visitor.locator(".msg-agent").last).to_contain_text("Jaki kolor")
    expect(visitor.locator(".sub")).to_contain_text("Anna")

    visitor_writes(visitor, "Czerwone róże poproszę.")
    expect(agent_page.locator("#messages .msg-client").last).to_contain_text("Czerwone róże")
    agent_writes(agent_page, "Świetny wybór, przygotujemy bukiet na jutro.")
    expect(visitor.locator(".msg-agent").last).to_contain_text("Świetny wybór")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visitor.screenshot(path=str(SCREENSHOTS / "widget-chat.png"))
    agent_page.screenshot(path=str(SCREENSHOTS / "inbox-chat.png"))


def test_a_file_goes_each_way_and_an_oversized_one_shows_its_error(agent_page, visitor, tmp_path, settings):
    start_chat(visitor, name="Piotr Wiśniewski", email="piotr@example.com")
    visitor_writes(visitor, "Przesyłam projekt dekoracji.")
    open_assigned_chat(agent_page, "Piotr Wiśniewski")

    sketch = b"sketch of the wedding decoration\n" * 50
    visitor.set_input_files(".composer input[type=file]",
                            files=[{"name": "projekt.txt", "mimeType": "text/plain", "buffer": sketch}])
    expect(visitor.locator(".msg-client .file")).to_contain_text("projekt.txt")
    link = agent_page.locator("#messages a.file", has_text="projekt.txt")
    expect(link).to_be_visible()
    with agent_page.expect_download() as download:
        link.click()
    assert Path(download.value.path()).read_bytes() == sketch

    offer = b"%PDF-1.4 offer for the wedding\n"
    agent_page.set_input_files("#composer input[type=file]",
                               files=[{"name": "oferta.pdf", "mimeType": "application/pdf", "buffer": offer}])
    received = visitor.locator(".msg-agent .file", has_text="oferta.pdf")
    expect(received).to_be_visible()
    with visitor.expect_download() as download:
        received.click()
    assert download.value.suggested_filename == "oferta.pdf"
    assert Path(download.value.path()).read_bytes() == offer

    card_update(file_max_size_mb=1)
    big = tmp_path / "film.mp4"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    visitor.set_input_files(".composer input[type=file]", files=[str(big)])
    expect(visitor.locator(".composer .error")).to_contain_text("1 MB")
    agent_page.set_input_files("#composer input[type=file]", files=[str(big)])
    expect(agent_page.locator("[data-testid=upload-error]")).to_contain_text("1 MB")
    assert sorted(Attachment.objects.values_list("original_name", flat=True)) == ["oferta.pdf", "projekt.txt"]
    assert not any(p.name == "film.mp4" for p in Path(settings.MEDIA_ROOT).rglob("*"))

    visitor.screenshot(path=str(SCREENSHOTS / "widget-files.png"))


def test_a_file_past_its_download_hours_answers_410_gone_in_both_places(agent_page, visitor, live_server):
    start_chat(visitor, name="Ewa Lis", email="ewa@example.com")
    visitor.set_input_files(".composer input[type=file]",
                            files=[{"name": "faktura.txt", "mimeType": "text/plain", "buffer": b"invoice"}])
    expect(visitor.locator(".msg-client .file")).to_contain_text("faktura.txt")
    open_assigned_chat(agent_page, "Ewa Lis")
    attachment = Attachment.objects.get()
    from datetime import timedelta

    from django.utils import timezone

    Attachment.objects.filter(pk=attachment.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = agent_page.request.get(f"{live_server.url}/inbox/files/{attachment.token}/")
    assert response.status == 410
    visitor.locator(".msg-client .file", has_text="faktura.txt").click()
    expect(visitor.locator(".composer .error")).to_contain_text("nie jest już dostępny")


def test_the_widget_welcomes_keeps_the_chat_across_page_loads_and_shows_when_it_is_closed(
    agent_page, visitor, demo_host
):
    card_update(welcome_message_when=ChatSettings.WelcomeWhen.CHAT_STARTED)
    start_chat(visitor, name="Jan Kowal", email="jan@example.com")
    expect(visitor.locator(".msg-system").first).to_contain_text("Witam, w czym mogę pomóc?")
    visitor_writes(visitor, "Czy dowozicie w niedzielę?")

    visitor.goto(visitor.url.split("?")[0] + "?page=oferta")  # another page of the same site
    expect(visitor.locator(".panel")).to_be_visible()
    expect(visitor.locator(".msg-client")).to_contain_text("Czy dowozicie w niedzielę?")
    assert Chat.objects.count() == 1
    chat = Chat.objects.get()
    # The previous page reported itself closed; the new page's heartbeat says the visitor is back.
    poll_until(lambda: Chat.objects.get().page_closed_at is None, message="the heartbeat of the new page")

    open_assigned_chat(agent_page, "Jan Kowal")
    agent_page.once("dialog", lambda dialog: dialog.accept())  # "Close this chat?" (issue 14)
    agent_page.click("[data-testid=close-chat]")
    expect(agent_page.locator("[data-testid=closed-notice]")).to_be_visible()
    expect(visitor.locator(".closed")).to_be_visible()
    expect(visitor.locator(".closed")).to_contain_text("Rozmowa została zakończona")
    assert Chat.objects.get().status == Chat.Status.CLOSED
    assert Message.objects.filter(chat=chat, sender=Message.Sender.SYSTEM).count() == 2
    visitor.screenshot(path=str(SCREENSHOTS / "widget-closed.png"))


def test_the_widget_reports_the_page_closed_when_the_visitor_leaves(visitor, queue, live_server):
    start_chat(visitor, name="Ola", email="")
    chat = Chat.objects.get()
    assert chat.page_closed_at is None
    visitor.goto("about:blank")  # pagehide: the widget sends page-closed with a keepalive request
    poll_until(lambda: Chat.objects.get().page_closed_at is not None, message="the page-closed report")


def test_the_host_pages_css_does_not_reach_the_widget(visitor):
    visitor.click(".launcher")
    expect(visitor.locator(".prechat")).to_be_visible()
    assert visitor.evaluate(
        "getComputedStyle(document.querySelector('#parley-widget').shadowRoot.querySelector('.primary')).backgroundColor"
    ) == "rgb(47, 75, 216)"  # the host page's `button {background: #ff00aa !important}` does not reach in
    visitor.screenshot(path=str(SCREENSHOTS / "widget-prechat.png"))


def test_on_a_phone_the_launcher_is_on_screen_and_the_open_widget_is_full_screen_with_16px_fields(
    new_context, demo_host, queue
):
    phone = new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                        locale="pl-PL").new_page()
    phone.goto(demo_host(queue))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390  # the page fits: nothing zooms out
    launcher = phone.locator(".launcher").bounding_box()
    assert launcher["x"] >= 0 and launcher["x"] + launcher["width"] <= 390
    assert launcher["y"] + launcher["height"] <= 844
    phone.locator(".launcher").tap()
    expect(phone.locator(".prechat")).to_be_visible()
    panel = phone.locator(".panel").bounding_box()
    assert (panel["x"], panel["y"], panel["width"], panel["height"]) == (0, 0, 390, 844)
    sizes = phone.evaluate(
        "[...document.querySelector('#parley-widget').shadowRoot.querySelectorAll('input, textarea')]"
        ".map(el => parseFloat(getComputedStyle(el).fontSize))"
    )
    assert sizes and min(sizes) >= 16  # iOS zooms into a field under 16 px
    phone.screenshot(path=str(SCREENSHOTS / "widget-phone.png"))


def test_a_file_over_the_known_limit_is_refused_before_it_is_sent(visitor, tmp_path):
    card_update(file_max_size_mb=1)
    start_chat(visitor, name="Adam", email="")
    requests = []
    visitor.on("request", lambda r: requests.append(r.url) if "/files/" in r.url else None)
    big = tmp_path / "zdjecia.zip"
    big.write_bytes(b"z" * (1024 * 1024 + 1))
    visitor.set_input_files(".composer input[type=file]", files=[str(big)])
    expect(visitor.locator(".composer .error")).to_contain_text("Plik jest za duży: limit to 1 MB.")
    assert requests == []
    assert not Attachment.objects.exists()


def test_the_widget_sends_a_heartbeat_every_30_seconds(visitor):
    visitor.clock.install()
    visitor.reload()
    start_chat(visitor, name="Marta", email="")
    started = Chat.objects.get().last_heartbeat_at
    visitor.clock.fast_forward("00:31")
    poll_until(lambda: Chat.objects.get().last_heartbeat_at > started, message="a heartbeat after 30 s")


def test_a_host_page_that_signs_its_logged_in_visitor_starts_a_verified_chat(visitor, settings):
    """Issue 11, point 4: the host page's server signs the e-mail (HMAC-SHA256, widget secret); the widget
    shows it read-only and sends the signature; the chat's customer link is verified."""
    import hashlib
    import hmac

    settings.WIDGET_IDENTITY_SECRETS = ["e2e-widget-secret"]
    customer = factories.CustomerFactory(email="zofia@example.com", vip=True)
    signature = hmac.new(b"e2e-widget-secret", b"zofia@example.com", hashlib.sha256).hexdigest()
    visitor.wait_for_function("window.ParleyWidget !== undefined")
    visitor.evaluate("([email, sig]) => window.ParleyWidget.identify(email, sig)", ["zofia@example.com", signature])

    visitor.click(".launcher")
    email = visitor.locator(".prechat input[name=email]")
    expect(email).to_have_value("zofia@example.com")
    expect(email).to_have_attribute("readonly", "")
    visitor.fill(".prechat input[name=name]", "Zofia")
    visitor.click(".prechat button[type=submit]")
    expect(visitor.locator(".conversation")).to_be_visible()

    chat = Chat.objects.get()
    assert (chat.customer_id, chat.customer_verified, chat.customer_verified_via) == (
        customer.pk, True, "signed_email")


def test_a_polish_widget_in_an_english_browser_shows_the_servers_refusal_in_polish(new_context, demo_host, queue):
    """Issue 14, point 8: the widget asked in the browser's language, so a Polish widget (the host page is
    lang="pl") in an English browser showed the server's refusals in English."""
    from django.utils import translation

    page = new_context(locale="en-US").new_page()
    page.goto(demo_host(queue))
    page.click(".launcher")
    expect(page.locator(".prechat button[type=submit]")).to_have_text("Rozpocznij czat")
    page.fill(".prechat input[name=name]", "Zofia")
    page.fill(".prechat input[name=email]", "zofia@")
    page.click(".prechat button[type=submit]")
    with translation.override("pl"):
        polish = translation.gettext("Enter a valid email address.")
    assert polish != "Enter a valid email address."
    expect(page.locator(".prechat .error")).to_have_text(polish)


def test_a_reply_the_widget_had_not_fetched_yet_still_shows_after_the_visitor_writes(agent_page, visitor, agent):
    """The visitor's own message (shown from its POST's answer) must not move the widget's ``since`` cursor past an
    agent's reply the widget has not fetched yet: the next poll would ask for what comes after it, and the reply
    would never show. Here the widget polls (no WebSocket on this server); its polls fail while the reply is
    written and the visitor sends his message."""
    start_chat(visitor)
    chat = Chat.objects.get(visitor_name="Zofia Nowak")
    polls = re.compile(r"/widget/v1/chats/\d+/messages/\?since=")

    def offline(route):
        route.abort()  # the visitor's connection drops for a moment: his polls fail, nothing else is asked

    visitor.route(polls, offline)
    visitor.wait_for_event("requestfailed", lambda request: polls.search(request.url) is not None)
    message_post(chat_id=chat.pk, sender=Message.Sender.AGENT, author_id=agent.pk, body="Dzień dobry, w czym pomóc?")
    visitor_writes(visitor, "Czy są jeszcze róże?")  # his message is sent and shown (the POST goes through)
    visitor.unroute(polls, offline)

    expect(visitor.locator(".msg-agent", has_text="w czym pomóc")).to_have_count(1, timeout=6000)
    expect(visitor.locator(".msg-client", has_text="Czy są jeszcze róże?")).to_have_count(1)

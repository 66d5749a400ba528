"""Parley's pages under their Content-Security-Policy in real Chromium: the inbox, the admin and the
API docs are sent the policy, and nothing on them (their scripts, htmx swaps, the admin's widgets)
trips it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from playwright.sync_api import expect

from chat.models import Chat, ChatSettings
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Reports every violation of the page's policy (script, style, image, connection …) to the test.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.parleyCspViolation([location.pathname, e.effectiveDirective, e.blockedURI,
                             e.sourceFile + ":" + e.lineNumber, e.sample].join(" | "));
});
"""


@pytest.fixture
def csp_page(new_context):
    """A page whose CSP violations (the DOM event and Chromium's console report) are collected."""
    context = new_context(locale="en-US")
    violations: list[str] = []
    context.expose_function("parleyCspViolation", lambda report: violations.append(report))
    context.add_init_script(REPORT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: violations.append(f"console: {msg.text}") if "Content Security Policy" in msg.text else None,
    )
    page.violations = violations
    return page


def visit(page, url: str) -> None:
    """Open ``url``; the document must come with Parley's policy (scripts from its own origin only)."""
    response = page.goto(url)
    assert response.ok, url
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy, (url, policy)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def chat(transactional_db):
    queue = factories.QueueFactory(name="Sprzedaż")
    agent = factories.UserFactory(username="anna", first_name="Anna")
    factories.PresenceFactory(agent=agent, logged_in=True)
    factories.MembershipFactory(agent=agent, queue=queue)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Zofia", visitor_key="k-1")
    message_post(chat_id=chat.pk, sender="client", body="Dzień dobry!")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    return Chat.objects.get(pk=chat.pk)


def test_the_inbox_runs_under_its_policy_without_a_violation(csp_page, live_server, inbox_login, chat):
    page = csp_page
    visit(page, f"{live_server.url}/inbox/login/")
    inbox_login(page, chat.agent)
    visit(page, f"{live_server.url}/inbox/chats/{chat.pk}/")
    expect(page.locator("#messages")).to_contain_text("Dzień dobry!")
    # An htmx round trip: the reply is posted and swapped in, the presence menu opens.
    page.fill("#composer textarea", "Witam, w czym mogę pomóc?")
    page.press("#composer textarea", "Enter")
    expect(page.locator("#messages .msg-agent").last).to_contain_text("w czym mogę pomóc?")
    page.locator("details.menu summary").first.click()
    # The canned responses' "/" picker opens (built by inbox.js, styled by inbox.css), and their page renders.
    page.locator("#composer textarea").press_sequentially("/")
    expect(page.locator("[data-testid=canned-picker]")).to_be_visible()
    visit(page, f"{live_server.url}/inbox/canned/")
    page.wait_for_load_state("networkidle")
    assert page.violations == [], "\n".join(page.violations)


def test_the_admin_and_the_api_docs_run_under_their_policy_without_a_violation(
    csp_page, live_server, admin_user, chat
):
    page = csp_page
    ChatSettings.load()
    visit(page, f"{live_server.url}/admin/login/")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "parley-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    task = PeriodicTask.objects.order_by("pk").first()
    nightly = CrontabSchedule.objects.create(minute="0", hour="3")
    for path in [
        "/admin/",
        "/admin/chat/chatsettings/1/change/",
        "/admin/chat/chat/",
        f"/admin/chat/chat/{chat.pk}/change/",
        "/admin/chat/queue/",
        "/admin/chat/cannedresponse/add/",
        "/admin/agents/user/",
        f"/admin/agents/user/{chat.agent_id}/change/",
        "/admin/agents/presence/",
        f"/admin/django_celery_beat/periodictask/{task.pk}/change/",
        "/admin/django_celery_beat/periodictask/",
    ]:
        visit(page, f"{live_server.url}{path}")
    # The admin's autocomplete (select2) opens and searches.
    visit(page, f"{live_server.url}/admin/crm/customer/add/")
    page.locator(".field-owner .select2-selection").click()
    page.keyboard.type("ann")
    expect(page.locator(".select2-results__option", has_text="anna")).to_be_visible()
    # The periodic task's crontab help comes from a static script, not an inline one.
    visit(page, f"{live_server.url}/admin/django_celery_beat/periodictask/{task.pk}/change/")
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    page.select_option("#id_crontab", str(nightly.pk))
    expect(page.locator(".field-crontab .crontab-in-words")).to_contain_text("03:00")
    # Swagger UI starts (its script is not inline any more) and renders the schema.
    visit(page, f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Parley API")
    page.locator(".opblock-summary", has_text="/api/v1/chats/").first.click()
    expect(page.locator(".opblock-body").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert page.violations == [], "\n".join(page.violations)


@pytest.fixture
def strict_host(live_server, settings):
    """A website of another origin whose own policy lets only Parley's origin in (scripts, styles, requests)."""
    servers = []

    def start(queue) -> str:
        body = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>'
            f'<body><h1>Shop</h1><script src="{live_server.url}/static/widget/parley-widget.js" '
            f'data-server="{live_server.url}" data-queue="{queue.pk}" async></script></body></html>'
        ).encode()
        policy = (
            f"default-src 'none'; script-src {live_server.url}; style-src {live_server.url}; "
            f"connect-src {live_server.url} {live_server.url.replace('http', 'ws', 1)}"
        )

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Security-Policy", policy)
                self.end_headers()
                self.wfile.write(body if self.path == "/" else b"")

            def log_message(self, format, *args):  # noqa: A002 - quiet
                return

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        origin = f"http://127.0.0.1:{httpd.server_address[1]}"
        settings.CORS_ALLOWED_ORIGINS = [origin]
        return origin + "/"

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def test_the_widget_works_on_a_host_page_with_a_strict_policy_of_its_own(csp_page, strict_host, transactional_db):
    queue = factories.QueueFactory(name="Sprzedaż")
    page = csp_page
    page.goto(strict_host(queue))
    page.click(".launcher")
    page.fill(".prechat input[name=name]", "Zofia")
    page.click(".prechat button[type=submit]")
    expect(page.locator(".conversation")).to_be_visible()
    page.fill(".composer textarea", "Czy macie róże?")
    page.press(".composer textarea", "Enter")
    expect(page.locator(".msg-client").last).to_contain_text("Czy macie róże?")
    assert Chat.objects.get(visitor_name="Zofia").messages.filter(body="Czy macie róże?").exists()
    page.wait_for_load_state("networkidle")
    assert page.violations == [], "\n".join(page.violations)

"""Issue 14, point 7: axe-core (vendored from npm for the tests only: tests/e2e/vendor/axe-core) finds no serious or
critical violation on the inbox, the chat page and the widget, in real Chromium, in both languages. It prints every
violation it found, of any impact, so the lesser ones stay in sight."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat.models import Chat, Message
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe-4.14.1.min.js").read_text()
RUN = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
    detail: v.nodes.slice(0, 3).map((n) => n.html.slice(0, 120) + " :: " + ((n.any[0] || n.all[0] || {}).message)),
  }));
}"""
BLOCKING = {"serious", "critical"}


def axe_check(page, where: str) -> list[dict]:
    """Run axe-core on the page as it is and print what it found; returns the serious and critical violations."""
    page.evaluate(AXE)
    violations = page.evaluate(RUN)
    counts = {impact: sum(1 for v in violations if v["impact"] == impact)
              for impact in ("critical", "serious", "moderate", "minor")}
    print(f"[axe-core] {where}: " + ", ".join(f"{n} {impact}" for impact, n in counts.items()))
    for v in violations:
        print(f"[axe-core]   {v['impact']}: {v['id']} ({v['help']}) at {v['nodes']}")
        for detail in v['detail']:
            print(f"[axe-core]       {detail}")
    return [v for v in violations if v["impact"] in BLOCKING]


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def scene(queue, agent_factory):
    """Anna with a chat on her screen (messages both ways), another chat with an unread message, and a waiting one."""
    anna = agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka")
    chats = []
    for name, email in [("Ewa Kowalska", "ewa@example.com"), ("Jan Nowak", "jan@example.com")]:
        chat = chat_assign(chat_id=chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name,
                                              visitor_email=email).pk, agent_id=anna.pk)
        message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=f"Dzień dobry, tu {name}. Mam pytanie.")
        chats.append(chat)
    message_post(chat_id=chats[0].pk, sender=Message.Sender.AGENT, body="Dzień dobry, w czym mogę pomóc?",
                 author=anna)
    chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Zofia Waiting")
    return anna, chats


@pytest.mark.parametrize("locale", ["pl-PL", "en-US"])
def test_the_inbox_and_the_chat_page_have_no_serious_violations(new_context, inbox_login, scene, locale):
    anna, chats = scene
    page = inbox_login(new_context(locale=locale, bypass_csp=True).new_page(), anna)
    assert axe_check(page, f"inbox ({locale})") == []

    page.goto(page.url.rstrip("/") + f"/chats/{chats[0].pk}/")
    expect(page.locator("#messages .msg")).to_have_count(2)
    assert axe_check(page, f"chat page ({locale})") == []


def test_the_widget_has_no_serious_violations(new_context, demo_host, queue, agent_factory):
    agent_factory(queue=queue, username="anna", first_name="Anna")
    page = new_context(locale="pl-PL", bypass_csp=True).new_page()
    page.goto(demo_host(queue))
    page.click(".launcher")
    assert axe_check(page, "widget, the pre-chat form") == []

    page.fill(".prechat input[name=name]", "Zofia Nowak")
    page.fill(".prechat input[name=email]", "zofia@example.com")
    page.click(".prechat button[type=submit]")
    expect(page.locator(".conversation")).to_be_visible()
    page.fill(".composer textarea", "Dzień dobry, mam pytanie o zamówienie.")
    page.press(".composer textarea", "Enter")
    expect(page.locator(".msg-client").last).to_contain_text("zamówienie")
    assert axe_check(page, "widget, a conversation") == []

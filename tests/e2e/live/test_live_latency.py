"""Issue 13, point 7: how long a message takes from one screen to the other, in real Chromium, with the widget on a
page of another origin and the agent's inbox, against config.asgi under uvicorn in a process of its own (as in
production) with a Redis channel layer. It prints its figures; it asserts that every message arrived once and
over the open sockets, never how fast."""

from __future__ import annotations

import statistics

import pytest
from playwright.sync_api import expect

from tests.e2e.live.helpers import conversation, live_open, widget_live_open

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROUNDS = 20


@pytest.fixture
def live_server(asgi_server_process):
    """This module's pages are served by the ASGI server process (inbox_login and demo_host take this one)."""
    return asgi_server_process


# In-page clocks (both browser contexts read the machine's clock): the moment Enter is pressed in a reply box, and
# the moment a new message node is added to the other side's list (a MutationObserver), keyed by its text.
WATCH_SENT = """(selector) => {
  window.__sent = {};
  document.addEventListener("keydown", (e) => {
    const el = e.composedPath()[0];  // the textarea itself, also inside the widget's shadow root
    if (e.key === "Enter" && el.matches && el.matches(selector)) { window.__sent[el.value.trim()] = Date.now(); }
  }, true);
}"""
WATCH_ARRIVED = """([hostSelector, listSelector, itemSelector]) => {
  window.__arrived = {};
  const root = hostSelector ? document.querySelector(hostSelector).shadowRoot : document;
  const list = root.querySelector(listSelector);
  new MutationObserver(() => {
    list.querySelectorAll(itemSelector).forEach((el) => {
      const text = el.textContent;
      const m = text.match(/(Pytanie|Odpowiedź) \\d+/);
      if (m && !(m[0] in window.__arrived)) { window.__arrived[m[0]] = Date.now(); }
    });
  }).observe(list, { childList: true, subtree: true });
}"""


def exchange(agent_page, visitor, rounds: int) -> tuple[list[int], list[int]]:
    """``rounds`` messages each way, one after the other; the delays (ms) by the pages' own clocks."""
    visitor.evaluate(WATCH_SENT, ".composer textarea")
    visitor.evaluate(WATCH_ARRIVED, ["#parley-widget", ".log", ".msg-agent"])
    agent_page.evaluate(WATCH_SENT, "#composer textarea")
    agent_page.evaluate(WATCH_ARRIVED, ["", "#messages", ".msg-client"])
    for i in range(rounds):
        visitor.fill(".composer textarea", f"Pytanie {i}")
        visitor.press(".composer textarea", "Enter")
        expect(agent_page.locator("#messages .msg-client").last).to_contain_text(f"Pytanie {i}", timeout=10000)
        agent_page.fill("#composer textarea", f"Odpowiedź {i}")
        agent_page.press("#composer textarea", "Enter")
        expect(visitor.locator(".msg-agent").last).to_contain_text(f"Odpowiedź {i}", timeout=10000)
    # Every message came once.
    assert agent_page.locator("#messages .msg-client").count() == rounds
    assert visitor.locator(".msg-agent").count() == rounds
    to_agent = delays(visitor.evaluate("window.__sent"), agent_page.evaluate("window.__arrived"), "Pytanie")
    to_visitor = delays(agent_page.evaluate("window.__sent"), visitor.evaluate("window.__arrived"), "Odpowiedź")
    assert len(to_agent) == rounds and len(to_visitor) == rounds
    return to_agent, to_visitor


def report(label: str, to_agent: list[int], to_visitor: list[int]) -> str:
    return (
        f"\n[{label}] visitor message -> agent screen: p50 {statistics.median(to_agent)} ms, max {max(to_agent)} ms;"
        f" agent reply -> widget: p50 {statistics.median(to_visitor)} ms, max {max(to_visitor)} ms"
        f" ({len(to_agent)} messages each way, from Enter to the message node on the other screen, by the pages'"
        f" own clocks)"
    )


def test_messages_go_both_ways_by_push_and_the_latency_is_printed(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch, capsys
):
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)
    live_open(agent_page)
    widget_live_open(visitor)
    to_agent, to_visitor = exchange(agent_page, visitor, ROUNDS)
    live_open(agent_page)  # ... over the open sockets all along (the polls stand down to one every 30 s)
    widget_live_open(visitor)
    with capsys.disabled():
        print(report("live latency", to_agent, to_visitor))


def test_with_websockets_blocked_the_messages_come_by_polling_and_the_latency_is_printed(
    agent_context, visitor_context, inbox_login, demo_host, agent, queue, eager_dispatch, capsys
):
    """What the fallback looks like: the same conversation through a proxy that refuses WebSockets."""
    for context in (agent_context, visitor_context):
        context.route_web_socket("**/ws/**", lambda ws: ws.close())
    agent_page, visitor = conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue)
    to_agent, to_visitor = exchange(agent_page, visitor, 5)
    assert agent_page.locator("html").get_attribute("data-live") is None
    with capsys.disabled():
        print(report("fallback latency, WebSockets blocked", to_agent, to_visitor))


def delays(sent: dict, arrived: dict, prefix: str) -> list[int]:
    return [arrived[text] - at for text, at in sent.items() if text.startswith(prefix) and text in arrived]

"""What the push channel's browser tests share: a conversation set up between the widget and the inbox, and
whether a page's socket is open."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.test_widget import open_assigned_chat, start_chat


def live_open(page) -> None:
    expect(page.locator("html")).to_have_attribute("data-live", "open")


def widget_live_open(page) -> None:
    expect(page.locator("#parley-widget")).to_have_attribute("data-live", "open")


def conversation(agent_context, visitor_context, inbox_login, demo_host, agent, queue):
    """The visitor starts a chat on the host page; it is assigned to Anna, who opens it in her inbox."""
    agent_page = inbox_login(agent_context.new_page(), agent)
    visitor = visitor_context.new_page()
    visitor.goto(demo_host(queue))
    start_chat(visitor)
    open_assigned_chat_by_name(agent_page, "Zofia Nowak")
    return agent_page, visitor


def open_assigned_chat_by_name(agent_page, name):
    agent_page.evaluate("window.__sameDocument = true")
    open_assigned_chat(agent_page, name)

"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright
for Python, the Django live server, synchronous dispatch and the demo host page.

Playwright's sync API runs an event loop in the test's thread, so Django's
"async unsafe" guard must be off for the ORM calls the tests make.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

import pytest

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver, browser_executable):
    """One headless Chromium for the session (never a downloaded browser)."""
    chromium = playwright_driver.chromium.launch(executable_path=browser_executable, args=CHROMIUM_ARGS, headless=True)
    yield chromium
    chromium.close()


@pytest.fixture
def new_context(browser):
    """Make isolated browser contexts (one per person: an agent, a colleague, a visitor)."""
    contexts = []

    def make(**options):
        options.setdefault("viewport", LAPTOP)
        options.setdefault("locale", "en-US")
        options.setdefault("accept_downloads", True)
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def eager_dispatch(settings):
    """Nothing consumes Celery in the tests: run dispatch in-process after each commit."""
    from config.celery import app

    previous = app.conf.task_always_eager  # read (and load the conf) before the override
    settings.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def demo_host(live_server, settings):
    """Start the demo website (another origin) embedding the widget for ``queue``; returns its URL.

    The widget's CORS origins are set to that origin only, as an operator would configure it.
    """
    from chat.management.commands.serve_demo_host import serve_in_thread

    servers = []

    def start(queue) -> str:
        httpd, url = serve_in_thread(server_url=live_server.url, queue=str(queue.pk) if queue else "")
        servers.append(httpd)
        parts = urlsplit(url)
        settings.CORS_ALLOWED_ORIGINS = [f"{parts.scheme}://{parts.netloc}"]
        return url

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def inbox_login(live_server):
    """Log an agent in through the inbox's login page (which also logs him in for routing)."""

    def login(page, user, password: str = "parley-test"):
        page.goto(f"{live_server.url}/inbox/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/inbox/")
        return page

    return login

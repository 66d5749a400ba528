"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright
for Python, the Django live server, synchronous dispatch and the demo host page.

Playwright's sync API runs an event loop in the test's thread, so Django's
"async unsafe" guard must be off for the ORM calls the tests make.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import uvicorn
from django.db import connections
from django.test.utils import modify_settings

from config.settings.live import channel_layer_settings
from tests.polling import poll_until

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


class AsgiLiveServer:
    """``config.asgi`` on uvicorn in a thread of the test process (pages, API and WebSockets), on the test
    database like pytest-django's live server, with a Redis channel layer of its own (a key prefix per server)
    so that the test thread's services publish to the server's sockets. ``stop()`` ends every connection the
    way a restart does (close code 1012); ``start()`` serves again on the same port."""

    def __init__(self):
        self.port = None
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread = None
        # What pytest-django's live-server helper enables around a test that uses a fixture named live_server.
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"})

    def start(self) -> None:
        from channels.routing import ProtocolTypeRouter
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        from config.asgi import application, django_asgi_app

        # config.asgi's application, with the static files served from the finders as pytest-django's live server
        # does (the test settings collect none).
        served = ProtocolTypeRouter({"http": ASGIStaticFilesHandler(django_asgi_app),
                                     "websocket": application.application_mapping["websocket"]})
        config = uvicorn.Config(served, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-live-server", daemon=True)
        self.thread.start()
        poll_until(lambda: self.server.started, timeout=10, message="the ASGI server to start")

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    """A live server that speaks WebSocket too: use it where a test needs the push channel. Fixtures that take
    ``live_server`` (inbox_login, demo_host) get this one in a module that overrides ``live_server`` with it."""
    redis_url = os.environ.get("TEST_CHANNEL_LAYER_URL", "redis://127.0.0.1:6379/14")
    layer = channel_layer_settings(redis_url)[0]["default"]  # the production layer (Redis pub/sub by default)
    settings.CHANNEL_LAYERS = {
        "default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": f"parley-test-{uuid.uuid4().hex[:8]}"}}
    }
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()
    connections.close_all()

"""Shared fixtures of the browser tests: Debian's Chromium driven by Playwright
for Python, the Django live server, synchronous dispatch and the demo host page.

Playwright's sync API runs an event loop in the test's thread, so Django's
"async unsafe" guard must be off for the ORM calls the tests make.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from urllib.parse import urlsplit

import pytest
import uvicorn
from django.db import connections
from django.test.utils import modify_settings

from config.settings.live import channel_layer_settings
from tests.polling import poll_until
from tests.processes import free_port, listening, process_env

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
def queue(transactional_db):
    """The queue the widget's chats go to (a module with a ``queue`` of its own uses that one)."""
    from tests import factories

    return factories.QueueFactory(name="Sprzedaż")


@pytest.fixture
def agent(agent_factory, queue):
    """Anna, an agent of the queue, not logged in yet (the inbox's login page logs her in)."""
    return agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka", logged_in=False)


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
        httpd, url = serve_in_thread(server_url=live_server.url, queue=str(queue.pk) if queue else "",
                                     port=getattr(live_server, "demo_port", 0))
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
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = None
        self.thread = None
        # What pytest-django's live-server helper enables around a test that uses a fixture named live_server.
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"})

    def start(self) -> None:
        from tests.e2e.asgi_static import application

        config = uvicorn.Config(application, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="asgi-live-server", daemon=True)
        self.thread.start()
        poll_until(lambda: self.server.started, timeout=10, message="the ASGI server to start")

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)
            self.server = None


REDIS_LAYER_URL = os.environ.get("TEST_CHANNEL_LAYER_URL", "redis://127.0.0.1:6379/9")


def redis_layer(settings) -> str:
    """Point the test process's channel layer at Redis, under a key prefix of its own; returns the prefix."""
    prefix = f"parley-test-{uuid.uuid4().hex[:8]}"
    layer = channel_layer_settings(REDIS_LAYER_URL)[0]["default"]  # the production layer (Redis pub/sub by default)
    settings.CHANNEL_LAYERS = {"default": {**layer, "CONFIG": {**layer["CONFIG"], "prefix": prefix}}}
    return prefix


class AsgiServerProcess:
    """The same application under uvicorn in a process of its own, as production runs it: the test process (its
    browsers, its Playwright driver) does not share the server's interpreter. On the test database and cache, with
    the test process's Redis layer (its prefix); the widget's origin is the demo host's port, chosen beforehand."""

    def __init__(self, *, prefix: str):
        self.port, self.demo_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._live_server_modified_settings = modify_settings(ALLOWED_HOSTS={"append": "127.0.0.1"})
        self.env = process_env(
            TEST_CHANNEL_LAYER_URL=REDIS_LAYER_URL,
            CHANNEL_LAYER_PREFIX=prefix,
            WIDGET_ALLOWED_ORIGINS=f"http://127.0.0.1:{self.demo_port}",
            TEST_CELERY_TASK_ALWAYS_EAGER="true",
        )
        self.proc = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "tests.e2e.asgi_static:application", "--host", "127.0.0.1",
             "--port", str(self.port), "--log-level", "warning", "--no-access-log"],
            env=self.env, start_new_session=True,
        )

        def alive() -> None:
            assert self.proc.poll() is None, "the ASGI server process ended"

        poll_until(lambda: listening(self.port), timeout=30, alive=alive, message="the ASGI server process to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


@pytest.fixture
def asgi_server_process(transactional_db, settings):
    server = AsgiServerProcess(prefix=redis_layer(settings))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def asgi_live_server(transactional_db, settings):
    """A live server that speaks WebSocket too: use it where a test needs the push channel. Fixtures that take
    ``live_server`` (inbox_login, demo_host) get this one in a module that overrides ``live_server`` with it."""
    redis_layer(settings)
    server = AsgiLiveServer()
    server.start()
    yield server
    server.stop()
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _threads_left_open(close_connections_threads_left_open):
    """The in-process servers' threads keep connections open until the end of the run (tests/conftest.py)."""

"""Helpers for the outbox tests that need real processes, a real broker, or a broker that is down."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connections

from tests.processes import process_env

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@contextmanager
def broker(url: str):
    """Make this process's Celery app publish to ``url`` (a real Redis, or a closed port: a broker that
    is down), then go back to the test broker. The app caches its connection pools, so they are reset."""
    from config.celery import app

    previous = app.conf.get("broker_write_url")
    app.conf.broker_write_url = url
    _reset_pools(app)
    try:
        yield app
    finally:
        app.conf.broker_write_url = previous
        _reset_pools(app)


def _reset_pools(app) -> None:
    # Only forget them: kombu keeps one pool per broker address, and the next test may use this one again.
    app._pool = None
    app.amqp._producer_pool = None


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_env(graph_url: str, **extra: str) -> dict:
    """The environment of a worker process: the test database, the Redis broker, the Graph stand-in."""
    return process_env(
        CELERY_BROKER_URL=REDIS_URL,
        TEST_CELERY_BROKER_URL=REDIS_URL,
        MESSENGER_GRAPH_URL=graph_url,
        MESSENGER_PAGE_ACCESS_TOKEN="page-token",
        MESSENGER_APP_SECRET=settings.MESSENGER_APP_SECRET,
        **extra,
    )


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """``celery -A config worker`` in its own process group (so that it can be killed as a whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"outbox-{os.getpid()}@%h"],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen, *, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def in_thread(target, **kwargs) -> threading.Thread:
    """Run ``target(**kwargs)`` in a thread of its own (its own database connection, closed at the end)."""

    def run():
        try:
            target(**kwargs)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread

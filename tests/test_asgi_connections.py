"""The ASGI server runs every request in a thread of its own (asgiref's thread-sensitive context). Before issue 13's
last round, each request therefore opened a PostgreSQL connection and a Redis connection and closed them again
(profiled at a fifth of a widget message's time). Now the server takes its database connections from a pool
(``DATABASE_POOL``, turned on by ``config/asgi.py``) and every thread shares one Redis client per server
(``core.cache``). These tests count the connections the server really opened."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
import redis
from django.core.cache import caches
from django.db import connection

from chat.services.queues import queue_create
from chat.services.visitors import visitor_chat_start
from config.settings.env import database_from_url
from tests.polling import poll_until
from tests.processes import free_port, listening, process_env

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")
REQUESTS = 30


def test_every_thread_of_a_process_uses_the_same_redis_client(settings):
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": REDIS_URL}}
    here = caches["default"]
    there = {}
    thread = threading.Thread(target=lambda: there.update(cache=caches["default"]))
    thread.start()
    thread.join()

    assert there["cache"] is not here  # Django keeps a cache object per thread...
    assert there["cache"]._cache.get_client() is here._cache.get_client()  # ... and they share one client and pool


def test_the_pool_is_chosen_by_the_environment(monkeypatch):
    url = "postgres://postgres@127.0.0.1:5432/parley"
    monkeypatch.delenv("DATABASE_POOL", raising=False)
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "600")
    assert database_from_url(url)["CONN_MAX_AGE"] == 600
    assert "pool" not in database_from_url(url).get("OPTIONS", {})

    monkeypatch.setenv("DATABASE_POOL", "true")
    monkeypatch.setenv("DATABASE_POOL_MAX_SIZE", "7")
    pooled = database_from_url(url)
    assert pooled["CONN_MAX_AGE"] == 0  # Django refuses a lifetime beside a pool
    assert pooled["OPTIONS"]["pool"]["max_size"] == 7
    assert "pool" not in database_from_url("sqlite:///var/x.sqlite3").get("OPTIONS", {})


def database_sessions() -> int:
    """Connections ever opened to this test database (PostgreSQL counts them per database)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute("SELECT sessions FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


def redis_connections(client: redis.Redis) -> int:
    return client.info("stats")["total_connections_received"]


@pytest.mark.slow
@pytest.mark.postgresql("counts PostgreSQL's sessions of the test database")
@pytest.mark.django_db(transaction=True)
def test_the_asgi_server_reuses_its_connections_from_request_to_request(tmp_path):
    chat, token = visitor_chat_start(visitor_key="asgi-connections-0001", queue_id=queue_create(name="Sales").pk)
    port = free_port()
    log = tmp_path / "uvicorn.log"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=ROOT, env=process_env(TEST_CACHE_URL=REDIS_URL), stdout=log.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        poll_until(lambda: listening(port), timeout=30, message=log.read_text,
                   alive=lambda: (server.poll() is None) or pytest.fail(log.read_text()))

        def post(n: int) -> int:
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/widget/v1/chats/{chat.pk}/messages/",
                data=json.dumps({"body": f"Message {n}"}).encode(),
                headers={"Content-Type": "application/json", "X-Visitor-Token": token},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status

        assert post(0) == 201  # the server's first connections are opened here
        redis_client = redis.Redis.from_url(REDIS_URL)
        sessions, redis_before = database_sessions(), redis_connections(redis_client)

        assert [post(n) for n in range(1, REQUESTS + 1)] == [201] * REQUESTS

        # One connection each per request before; now the pool's and the shared client's (a few). The bound on
        # Redis leaves room for other test processes on the same server.
        assert database_sessions() - sessions <= 2
        assert redis_connections(redis_client) - redis_before < REQUESTS // 2
        assert chat.messages.filter(sender="client").count() == REQUESTS + 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

"""Issue 11, point 5: two real web processes (gunicorn) count one client against one shared limit,
in the database cache (the embedded default) and in Redis (CACHE_URL), one request at a time and
many at once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.conf import settings

from chat.models import Chat
from tests import factories
from tests.processes import process_env, stop_groups

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("gunicorn processes on the test database"),
]

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/12")


def listening_socket() -> socket.socket:
    """A socket listening on a free port of 127.0.0.1, opened before its server starts (handed to gunicorn as
    ``fd://``): a connection made before the server is up waits in the kernel's queue until it is served."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def post_json(url: str, body: dict) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


class WebProcesses:
    """``count`` gunicorn processes of Parley on the test database, each on its own port."""

    def __init__(self, tmp_path: Path, *, count: int, threads: int, extra_env: dict):
        self.env = process_env(without=("TEST_CACHE_URL",), MEDIA_ROOT=str(tmp_path / "media"), **extra_env)
        sockets = [listening_socket() for _ in range(count)]
        self.ports = [sock.getsockname()[1] for sock in sockets]
        self.logs = [tmp_path / f"web{i}.log" for i in range(count)]
        self.procs = [
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"fd://{sock.fileno()}", "--workers",
                 "1", "--threads", str(threads), "--timeout", "60"],
                cwd=ROOT, env=self.env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
                pass_fds=[sock.fileno()],
            )
            for sock, log in zip(sockets, self.logs, strict=True)
        ]
        for sock in sockets:  # gunicorn holds them now: if it dies, its socket closes and requests fail at once
            sock.close()

    def urls(self, path: str) -> list[str]:
        return [f"http://127.0.0.1:{port}{path}" for port in self.ports]

    def wait_ready(self) -> None:
        """One request to each process: it waits in the socket's queue until gunicorn is up and serves it
        (60 s at most); a process that died has closed its socket, and the request fails at once."""
        for proc, log, url in zip(self.procs, self.logs, self.urls("/inbox/login/"), strict=True):
            try:
                with urllib.request.urlopen(url, timeout=60):
                    pass
            except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
                raise AssertionError(f"a web process did not start ({error!r}, exit code {proc.poll()})\n"
                                     + log.read_text()) from error

    def stop(self) -> None:
        stop_groups(self.procs, timeout=15)


@pytest.fixture
def redis_cache():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # nothing left over from an earlier run
    yield {"TEST_CACHE_URL": REDIS_URL}
    client.flushdb()


@pytest.fixture(params=["database", "redis"])
def cache_env(request):
    if request.param == "redis":
        return request.getfixturevalue("redis_cache")
    return {}  # the test settings' database cache, on the test database


def start_chat_body(queue, n: int) -> dict:
    return {"queue": queue.pk, "visitor_key": f"visitor-key-number-{n:06d}"}


def test_two_web_processes_count_one_client_against_one_limit(tmp_path, cache_env):
    queue = factories.QueueFactory(name="Shared limit")
    web = WebProcesses(tmp_path, count=2, threads=1, extra_env={"WIDGET_THROTTLE_IP": "10/min", **cache_env})
    try:
        web.wait_ready()
        urls = web.urls("/widget/v1/chats/")
        statuses = [post_json(urls[n % 2], start_chat_body(queue, n)) for n in range(30)]
    finally:
        web.stop()
    # Each process served five of the first ten; every request after them was refused by both.
    assert statuses == [201] * 10 + [429] * 20, statuses
    assert Chat.objects.count() == 10


def test_many_requests_at_once_on_two_processes_let_exactly_the_limit_in(tmp_path, redis_cache):
    queue = factories.QueueFactory(name="Shared limit")
    web = WebProcesses(tmp_path, count=2, threads=8, extra_env={"WIDGET_THROTTLE_IP": "20/min", **redis_cache})
    try:
        web.wait_ready()
        urls = web.urls("/widget/v1/chats/")
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(pool.map(lambda n: post_json(urls[n % 2], start_chat_body(queue, n)), range(80)))
    finally:
        web.stop()
    assert sorted(statuses) == [201] * 20 + [429] * 60, statuses
    assert Chat.objects.count() == 20

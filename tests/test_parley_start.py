"""``python3 parley.py start`` for real, with no service running (issue 13, point 8): the ASGI server serves the pages
and the push channel on the embedded default, and an event published by another process of the machine reaches a
widget's socket through the embedded channel layer (channels-lite in the SQLite file of its own)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import websockets

from tests.polling import poll_until
from tests.processes import free_port, listening

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
DEMO_PORT = free_port()
ORIGIN = f"http://localhost:{DEMO_PORT}"  # one of the widget's default origins: they follow the demo's port


@pytest.fixture
def started(tmp_path):
    """``parley.py start`` in a folder of its own, without any of the variables that name a service."""
    port = free_port()
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DATABASE_", "CELERY_", "CHANNEL_", "CACHE_", "DJANGO_", "TEST_"))}
    env.update(PARLEY_VAR_DIR=str(tmp_path / "var"), PARLEY_PORT=str(port), PARLEY_DEMO_HOST_PORT=str(DEMO_PORT))
    proc = subprocess.Popen([sys.executable, "parley.py", "start"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    log: list[str] = []
    threading.Thread(target=lambda: log.extend(proc.stdout), daemon=True).start()
    try:
        poll_until(lambda: any("Parley is running" in line for line in log), timeout=180, every=0.2,
                   message=lambda: "".join(log[-40:]), alive=lambda: _alive(proc, log))
        assert listening(port), "".join(log[-40:])  # "running" is printed once the web server answers
        yield {"url": f"http://127.0.0.1:{port}", "env": env, "log": log, "proc": proc}
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _alive(proc, log) -> None:
    assert proc.poll() is None, "".join(log[-40:])


def widget_chat(url: str) -> tuple[int, str]:
    body = json.dumps({"name": "Zofia", "visitor_key": "z" * 32}).encode()
    request = urllib.request.Request(f"{url}/widget/v1/chats/", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Origin": ORIGIN})
    with urllib.request.urlopen(request, timeout=10) as response:
        data = json.load(response)
    return data["chat"]["id"], data["token"]


def test_start_serves_the_push_channel_on_the_embedded_default(started):
    url = started["url"]
    with urllib.request.urlopen(f"{url}/inbox/login/", timeout=10) as page:
        assert page.status == 200
    chat_id, token = widget_chat(url)

    async def listen() -> list[dict]:
        async with websockets.connect(url.replace("http", "ws") + "/ws/widget/", origin=ORIGIN) as ws:
            await ws.send(json.dumps({"type": "auth", "chat": chat_id, "token": token}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {"kind": "ready", "chat": chat_id}
            # Another process of the machine (as the Celery worker and beat are) publishes a change of the chat.
            publisher = await asyncio.create_subprocess_exec(
                sys.executable, "manage.py", "shell", "-c",
                "from chat.services.live import LiveEvent, live_publish; "
                f"live_publish(LiveEvent(kind='chat.transferred', chat_id={chat_id}))",
                cwd=ROOT, env={**started["env"], "DJANGO_SETTINGS_MODULE": "config.settings.local"},
            )
            assert await publisher.wait() == 0
            heard = []
            while {"kind": "chat.transferred", "chat": chat_id} not in heard:
                heard.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            return heard

    # A loop of its own, in a thread: the browser tests' Playwright keeps one running in this thread.
    with ThreadPoolExecutor(max_workers=1) as thread:
        heard = thread.submit(asyncio.run, listen()).result(timeout=60)
    # Besides, the Celery worker's dispatch may have assigned the chat to a demo agent meanwhile: its event
    # comes the same way (from the worker process), and names only this chat.
    assert {message["chat"] for message in heard} == {chat_id}
    assert {message["kind"] for message in heard} <= {"chat.transferred", "chat.assigned", "chat.message"}


def _readiness(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=10) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as failing:
        return failing.code, json.load(failing)


def test_start_reports_ready_once_beat_ticked(started):
    """The embedded default (SQLite, the filesystem broker, channels-lite, the database cache) passes every
    readiness check once beat has recorded its first heartbeat (docs/operations.md, "Health")."""
    url = started["url"]
    with urllib.request.urlopen(f"{url}/health/live", timeout=10) as live:
        assert json.load(live) == {"status": "ok"}
    answers: list[tuple[int, dict]] = []
    poll_until(lambda: answers.append(_readiness(url)) or answers[-1][0] == 200, timeout=60, every=0.5,
               message=lambda: f"/health/ready to answer 200, last {answers[-1]}",
               alive=lambda: _alive(started["proc"], started["log"]))
    status, body = answers[-1]
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "migrations", "broker", "channel_layer", "cache", "beat"]

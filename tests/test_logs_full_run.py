"""A full run in production's log format (docs/operations.md, "Logs"): an ASGI server and a Celery worker, both
logging JSON lines at DEBUG, serve an agent's login, a widget chat with the visitor's message, the agent's reply
and file, its download by its secret link, and API calls with a token. Their logs are then read as an operator
would: every line is JSON, no secret and no message text is in them, a request's id is in its response's
X-Request-ID header and on the lines of the task it queued."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
import requests

from chat.models import Attachment, Chat
from chat.services.queues import queue_create
from tests.polling import poll_until
from tests.processes import free_port, listening, process_env, stop_groups

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_LOGS_REDIS_URL", "redis://127.0.0.1:6379/8")
PASSWORD = "Correct-Horse-" + uuid.uuid4().hex[:12]
VISITOR_TEXT = "visitor-text-" + uuid.uuid4().hex
AGENT_TEXT = "agent-text-" + uuid.uuid4().hex
FILE_TEXT = "file-content-" + uuid.uuid4().hex

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("an ASGI server and a Celery worker process on the test database"),
]


def api_token_for(user) -> str:
    """An API token of ``user`` as the REST API's authentication issues it (the one place that knows how)."""
    from agents.models import ApiToken  # noqa: PLC0415

    return ApiToken.objects.create(user=user)[1]


# What Celery prints itself, outside logging, as a worker stops.
PRINTED = {"worker: Warm shutdown (MainProcess)"}


def read_json_lines(path: Path) -> list[dict]:
    lines = [line for line in path.read_text().splitlines() if line.strip() and line not in PRINTED]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON line in {path.name}: {line!r}")
    return records


@pytest.fixture
def processes(tmp_path):
    """``uvicorn config.asgi:application`` (as the Procfile starts it) and ``celery -A config worker`` on a Redis
    broker, both with JSON lines at DEBUG."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    env = process_env(LOG_FORMAT="json", LOG_LEVEL="DEBUG", CELERY_BROKER_URL=REDIS_URL,
                      TEST_CELERY_BROKER_URL=REDIS_URL, TEST_CELERY_TASK_ALWAYS_EAGER="false")
    port = free_port()
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log", "--log-level", "debug"],
        cwd=ROOT, env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker", "--pool=solo", "--loglevel=DEBUG",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"logs-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    run = {"url": f"http://127.0.0.1:{port}", "web": web, "worker": worker, "web_log": web_log,
           "worker_log": worker_log}
    try:
        poll_until(lambda: listening(port), timeout=60, message=web_log.read_text,
                   alive=lambda: (web.poll() is None) or pytest.fail(web_log.read_text()))
        yield run
    finally:
        stop_groups((web, worker), timeout=30)
        client.flushdb()


def worker_lines(run) -> list[dict]:
    return [json.loads(line) for line in run["worker_log"].read_text().splitlines() if line.startswith("{")]


def test_a_full_run_logs_json_lines_with_request_ids_into_tasks_and_no_secret(processes, agent_factory):
    run, url = processes, processes["url"]
    queue = queue_create(name="Sales")
    agent = agent_factory(queue=queue, logged_in=False, username="anna")
    agent.set_password(PASSWORD)
    agent.save()
    api_token = api_token_for(agent)

    # The agent logs in to the inbox with her password.
    inbox = requests.Session()
    inbox.get(f"{url}/inbox/login/", timeout=30).raise_for_status()
    csrf = inbox.cookies["csrftoken"]
    login = inbox.post(f"{url}/inbox/login/", data={"username": "anna", "password": PASSWORD,
                                                    "csrfmiddlewaretoken": csrf}, timeout=30, allow_redirects=False)
    assert login.status_code == 302, login.text
    session_cookie, csrf = inbox.cookies["sessionid"], inbox.cookies["csrftoken"]
    htmx = {"HX-Request": "true", "X-CSRFToken": csrf}

    # A visitor starts a chat on the widget: the request queues the dispatch task, which the worker runs.
    started = requests.post(f"{url}/widget/v1/chats/", json={"visitor_key": "logs-visitor-0001", "queue": queue.pk},
                            timeout=30)
    assert started.status_code == 201, started.text
    start_request_id = started.headers["X-Request-ID"]
    visitor_token, chat_id = started.json()["token"], started.json()["chat"]["id"]

    def dispatch_logged():
        return any(line.get("event") == "task_succeeded" and line.get("request_id") == start_request_id
                   for line in worker_lines(run))

    poll_until(dispatch_logged, timeout=60, every=0.2,
               alive=lambda: (run["worker"].poll() is None) or pytest.fail(run["worker_log"].read_text()),
               message=lambda: "the dispatch task's lines\n--- worker\n" + run["worker_log"].read_text())

    # The API, with the agent's token: the chat, and (when dispatch left it waiting) its assignment to her.
    api = {"Authorization": f"Token {api_token}"}
    detail = requests.get(f"{url}/api/v1/chats/{chat_id}/", headers=api, timeout=30)
    assert detail.status_code == 200, detail.text
    if Chat.objects.get(pk=chat_id).agent_id != agent.pk:
        assigned = requests.post(f"{url}/api/v1/chats/{chat_id}/assign/", json={}, headers=api, timeout=30)
        assert assigned.status_code == 200, assigned.text

    # The visitor writes, the agent answers and sends a file, which is downloaded by its secret link.
    posted = requests.post(f"{url}/widget/v1/chats/{chat_id}/messages/", json={"body": VISITOR_TEXT},
                           headers={"X-Visitor-Token": visitor_token}, timeout=30)
    assert posted.status_code == 201, posted.text
    reply = inbox.post(f"{url}/inbox/chats/{chat_id}/messages/", data={"body": AGENT_TEXT}, headers=htmx, timeout=30)
    assert reply.status_code in (200, 204), reply.text
    upload = inbox.post(f"{url}/inbox/chats/{chat_id}/files/", files={"file": ("notes.txt", FILE_TEXT.encode())},
                        headers=htmx, timeout=30)
    assert upload.status_code == 200, upload.text
    download_token = Attachment.objects.get(message__chat_id=chat_id).token
    download = inbox.get(f"{url}/inbox/files/{download_token}/", timeout=30)
    assert download.status_code == 200 and download.content == FILE_TEXT.encode()
    messages = requests.get(f"{url}/api/v1/chats/{chat_id}/messages/", headers=api, timeout=30)
    assert {VISITOR_TEXT, AGENT_TEXT} <= {m["body"] for m in messages.json()}

    for proc in (run["web"], run["worker"]):  # the logs are complete once the processes ended
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    web_lines, worker_json = read_json_lines(run["web_log"]), read_json_lines(run["worker_log"])
    everything = run["web_log"].read_text() + run["worker_log"].read_text()

    # No secret and no message text, anywhere.
    secrets = {"password": PASSWORD, "API token": api_token, "session cookie": session_cookie,
               "CSRF cookie": csrf, "visitor token": visitor_token, "download token": download_token,
               "visitor's message": VISITOR_TEXT, "agent's message": AGENT_TEXT, "file's content": FILE_TEXT}
    leaked = [name for name, value in secrets.items() if value in everything]
    assert not leaked, leaked

    # Every line of a request carries its id; the response said which.
    requests_logged = [line for line in web_lines if line["event"] in {"request_started", "request_finished"}]
    assert requests_logged and all(re.fullmatch(r"[0-9a-f-]{36}", line["request_id"]) for line in requests_logged)
    finished = {line["request"]: line for line in web_lines if line["event"] == "request_finished"}
    assert finished["POST /widget/v1/chats/"]["request_id"] == start_request_id
    assert finished["POST /widget/v1/chats/"]["chat_id"] == chat_id  # bound by the view once it made the chat
    assert finished[f"POST /widget/v1/chats/{chat_id}/messages/"]["request_id"] == posted.headers["X-Request-ID"]
    assert finished["GET /inbox/files/[redacted]/"]["code"] == 200
    # The chat and the agent: from the URL and the session (inbox), from the token (API).
    reply_line = finished[f"POST /inbox/chats/{chat_id}/messages/"]
    assert (reply_line["chat_id"], reply_line["agent_id"]) == (chat_id, agent.pk)
    assert finished[f"GET /api/v1/chats/{chat_id}/"]["agent_id"] == agent.pk
    assert {"timestamp", "level", "logger", "event"} <= set(web_lines[-1])

    # The request that queued the dispatch task named it; the worker's lines of that task carry the same id.
    enqueued = [line for line in web_lines if line["event"] == "task_enqueued"
                and line["child_task_name"] == "chat.tasks.dispatch_task" and line["request_id"] == start_request_id]
    assert len(enqueued) == 1
    task_lines = [line for line in worker_json if line.get("task_id") == enqueued[0]["child_task_id"]]
    assert {line["event"] for line in task_lines} >= {"task_started", "task_succeeded"}
    assert {line.get("request_id") for line in task_lines} == {start_request_id}
    # ... and only those: between tasks, the worker's lines carry no request's id.
    assert all("task_id" in line for line in worker_json if "request_id" in line)

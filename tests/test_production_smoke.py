"""The production stack, run (issue 16, point 4; docs/deploy/README.md): ``manage.py migrate`` and ``collectstatic``
with ``config.settings.production``, then the Procfile's processes — uvicorn with 2 workers, a Celery worker and
Celery beat — on a PostgreSQL database of their own and Redis (broker, cache and channel layer). The test waits for
``/health/ready``, takes a widget chat to an agent (the worker's dispatch), his reply, the visitor reading it and
the close, scrapes ``/metrics``, shows that no task is lost when the worker stops (SIGTERM: the running task ends,
the queued one runs after the restart) or dies (SIGKILL: acks_late, the broker gives the message again), and ends
every process with SIGTERM, each exiting cleanly.

Like the reverse proxy of docs/deploy/nginx/parley.conf, every request says ``X-Forwarded-Proto: https`` (the
production settings redirect plain HTTP) and brings an ``X-Request-ID``. Run it with ``-s`` to see its steps."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
import requests
from celery import Celery
from django.db import connection

from tests.polling import poll_until
from tests.processes import free_port

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql("the production stack's processes on a PostgreSQL database of their own"),
]

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/6")
VISIBILITY_TIMEOUT = 5  # seconds: CELERY_BROKER_VISIBILITY_TIMEOUT of the stack
ORIGIN = "https://shop.example.com"
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
# The metrics endpoint is there once core.metrics is (issue 16, point 2); without it /metrics is not routed.
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"smoke [{time.monotonic() - STARTED:6.1f} s] {text}", flush=True)


class Stack:
    """The processes of docs/deploy/Procfile, started as an operator does, each in a process group of its own."""

    def __init__(self, tmp_path: Path, database_url: str):
        self.dir = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_token = secrets.token_urlsafe(32)
        (tmp_path / "metrics").mkdir()
        self.env = {
            **{name: value for name, value in os.environ.items()
               if not name.startswith(("DATABASE_", "CELERY_", "CHANNEL_", "CACHE_", "DJANGO_", "TEST_", "PARLEY_",
                                       "PROMETHEUS_", "MESSENGER_", "WIDGET_", "LOG_", "HEALTH_"))},
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "CELERY_BROKER_URL": REDIS_URL,
            "CACHE_URL": REDIS_URL,
            "CHANNEL_LAYER_URL": REDIS_URL,
            # A worker that died leaves its task unacknowledged for this long (seconds); see the lost-task step.
            "CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "MESSENGER_ENABLED": "false",
            "DEFAULT_FROM_EMAIL": "Example Support <support@example.com>",
            "WIDGET_ALLOWED_ORIGINS": ORIGIN,
            "PARLEY_TRUSTED_PROXIES": "1",
            "PARLEY_METRICS_TOKEN": self.metrics_token,
            "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
            "PARLEY_VAR_DIR": str(tmp_path / "var"),
            "STATIC_ROOT": str(tmp_path / "static"),
            "MEDIA_ROOT": str(tmp_path / "media"),
            "PYTHONUNBUFFERED": "1",
        }
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self.workers = 0
        self.stopped: set[str] = set()

    def run(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self, name: str, *command: str) -> None:
        log = self.dir / f"{name}.log"
        self.logs[name] = log
        self.procs[name] = subprocess.Popen([sys.executable, "-m", *command], cwd=ROOT, env=self.env,
                                            stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True)

    def start_web(self) -> None:
        self.start("web", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", "2", "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", "--no-access-log")

    def start_worker(self) -> str:
        """A worker (one pool process, so that which task waits behind which is certain); its log is worker-N."""
        self.workers += 1
        name = f"worker-{self.workers}"
        self.start(name, "celery", "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
                   "-n", f"smoke-{os.getpid()}-{self.workers}@%h")
        return name

    def start_beat(self) -> None:
        self.start("beat", "celery", "-A", "config", "beat", "--loglevel=INFO",
                   "--schedule", str(self.dir / "celerybeat-schedule"))

    def tail(self, *names: str) -> str:
        return "".join(f"\n--- {name}\n" + "\n".join(self.logs[name].read_text().splitlines()[-25:])
                       for name in names or self.logs)

    def alive(self) -> None:
        """Fails at once when a process that should run has ended (not one the test stopped)."""
        for name, proc in self.procs.items():
            if name not in self.stopped and proc.poll() is not None:
                pytest.fail(f"{name} ended with {proc.returncode}{self.tail(name)}")

    def terminate(self, name: str, timeout: float = 60) -> int:
        """SIGTERM to the main process only (systemd's KillMode=mixed): it stops its own children."""
        proc = self.procs[name]
        self.stopped.add(name)
        os.kill(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} still runs {timeout} s after SIGTERM{self.tail(name)}")

    def kill(self, name: str) -> None:
        """The whole process group dies at once (the machine lost, the OOM killer, kill -9)."""
        proc = self.procs[name]
        self.stopped.add(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)

    def get(self, path: str, **kwargs) -> requests.Response:
        return requests.get(self.url + path, headers={**PROXY, **kwargs.pop("headers", {})}, timeout=30, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return requests.post(self.url + path, headers={**PROXY, **kwargs.pop("headers", {})}, timeout=30, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return requests.patch(self.url + path, headers={**PROXY, **kwargs.pop("headers", {})}, timeout=30, **kwargs)

    def task_events(self, log: str, task_id: str) -> list[str]:
        """The task's events in a worker's JSON log (``task_started``, ``task_succeeded``…; django-structlog)."""
        events = []
        for line in self.logs[log].read_text().splitlines():
            if task_id in line and line.startswith("{"):
                record = json.loads(line)
                if record.get("task_id") == task_id and record["logger"] == "django_structlog.celery.receivers":
                    events.append(record["event"])
        return events


@pytest.fixture
def database_url():
    """A database of the smoke test's own (named after the test database), dropped afterwards."""
    settings = connection.settings_dict
    name = f"{settings['NAME']}_smoke"
    server = f"postgres://{settings['USER'] or 'postgres'}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def stack(tmp_path, database_url):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    stack = Stack(tmp_path, database_url)
    try:
        yield stack
    finally:
        stack.stop_all()
        client.flushdb()
        client.close()


def readiness(stack: Stack) -> tuple[int, dict]:
    try:
        answer = requests.get(stack.url + "/health/ready", timeout=5)  # plain HTTP, as a load balancer probes
    except requests.ConnectionError as error:
        return 0, {"error": f"no answer: {type(error).__name__}"}
    return answer.status_code, answer.json()


SETUP = """
import json
from agents.services import agent_create, api_token_issue
from chat.services.queues import queue_create, queue_member_set
queue = queue_create(name="Smoke", answer_target_seconds=60)
agent = agent_create(username="smoke-agent", first_name="Sam")
queue_member_set(queue_id=queue.pk, agent_id=agent.pk)
print(json.dumps({"queue": queue.pk, "agent": agent.pk, "token": api_token_issue(user_id=agent.pk)[1]}))
"""


def test_the_production_stack_serves_a_chat_loses_no_task_and_stops_cleanly(stack):
    say(f"production settings, database {stack.env['DATABASE_URL'].rsplit('/', 1)[1]}, Redis {REDIS_URL}")
    stack.run("migrate", "--noinput")
    say("migrate: done")
    stack.run("collectstatic", "--noinput")
    say("collectstatic: done")
    made = json.loads(stack.run("shell", "-c", SETUP).strip().splitlines()[-1])
    agent_auth = {"Authorization": f"Token {made['token']}"}

    stack.start_web()
    worker = stack.start_worker()
    stack.start_beat()
    answers: list[tuple[int, dict]] = []
    poll_until(lambda: answers.append(readiness(stack)) or answers[-1][0] == 200, timeout=120, every=0.5,
               alive=stack.alive,
               message=lambda: f"/health/ready to answer 200; last answer {answers[-1]}{stack.tail()}")
    say(f"/health/ready: 200 {json.dumps(answers[-1][1]['checks'], sort_keys=True)}")
    login_page = stack.get("/inbox/login/")
    assert login_page.status_code == 200, login_page.text[:500]
    css = re.search(r'href="(/static/[^"]+\.css)"', login_page.text)
    assert css and stack.get(css.group(1)).status_code == 200  # collected, hashed and served by WhiteNoise

    # The agent logs in (through the API, as a PBX or a client would) and is available.
    presence = stack.patch("/api/v1/agents/smoke-agent/presence/", json={"logged_in": True, "pause_type": None},
                           headers=agent_auth)
    assert presence.status_code == 200 and presence.json()["status"] == "available", presence.text

    # A visitor starts a chat on the widget of an allowed website and writes.
    request_id = f"smoke-{uuid.uuid4().hex}"
    started = stack.post("/widget/v1/chats/", headers={"Origin": ORIGIN, "X-Request-ID": request_id},
                         json={"name": "Zofia", "visitor_key": "smoke-visitor-0001", "queue": made["queue"]})
    assert started.status_code == 201, started.text
    assert started.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert started.headers["X-Request-ID"] == request_id  # a trusted proxy's id is kept
    chat_id, visitor = started.json()["chat"]["id"], {"X-Visitor-Token": started.json()["token"], "Origin": ORIGIN}
    say(f"widget: chat {chat_id} started, {started.json()['chat']['status']}")
    written = stack.post(f"/widget/v1/chats/{chat_id}/messages/", json={"body": "Is the red one in stock?"},
                         headers=visitor)
    assert written.status_code == 201, written.text

    # The worker's dispatch gives it to the agent.
    chat: dict = {}

    def assigned() -> bool:
        chat.update(stack.get(f"/api/v1/chats/{chat_id}/", headers=agent_auth).json())
        return chat.get("status") == "assigned"

    poll_until(assigned, timeout=60, every=0.3, alive=stack.alive,
               message=lambda: f"the worker's dispatch to assign chat {chat_id}: {chat}{stack.tail(worker)}")
    assert chat["agent"] == made["agent"], chat
    say(f"dispatch (worker): chat {chat_id} assigned to the agent")

    # He answers through the REST API; the visitor reads it on the widget; he closes the chat.
    reply = stack.post(f"/api/v1/chats/{chat_id}/messages/", json={"body": "Yes, in every size."}, headers=agent_auth)
    assert reply.status_code == 201, reply.text
    seen = stack.get(f"/widget/v1/chats/{chat_id}/messages/?since=0", headers=visitor)
    assert seen.status_code == 200 and "Yes, in every size." in [m["body"] for m in seen.json()], seen.text
    say("REST API: the agent replied; widget: the visitor read the reply")
    closed = stack.post(f"/api/v1/chats/{chat_id}/close/", json={}, headers=agent_auth)
    assert closed.status_code == 200 and closed.json()["status"] == "closed", closed.text
    assert stack.get(f"/widget/v1/chats/{chat_id}/", headers=visitor).json()["status"] == "closed"
    say(f"REST API: chat {chat_id} closed by the agent; the widget shows it closed")

    scrape_metrics(stack)
    no_task_is_lost(stack, worker)

    # Every process stops on SIGTERM (as systemd and a Procfile runner stop them) and exits cleanly.
    for name in ("web", "beat", f"worker-{stack.workers}"):
        code = stack.terminate(name)
        assert code == 0, f"{name} exited with {code} after SIGTERM{stack.tail(name)}"
        say(f"SIGTERM {name}: exited 0")
    for name, log in stack.logs.items():
        tracebacks = [line for line in log.read_text().splitlines() if "Traceback" in line]
        assert not tracebacks, f"{name}: {tracebacks[0]}{stack.tail(name)}"


def scrape_metrics(stack: Stack) -> None:
    bearer = {"Authorization": f"Bearer {stack.metrics_token}"}
    scraped = stack.get("/metrics", headers=bearer)
    assert scraped.status_code == 200, scraped.text[:500]
    assert stack.get("/metrics").status_code in (401, 403, 404)  # never public
    samples = {}
    for line in scraped.text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)

    def total(family: str, label: str = "") -> float:
        return sum(value for name, value in samples.items() if name.split("{")[0] == family and label in name)

    assert total("parley_assignments_total") >= 1, scraped.text
    assert total("parley_closes_total", 'reason="agent"') >= 1, scraped.text
    assert total("parley_http_requests_total") >= 5, scraped.text
    ready = [value for name, value in samples.items() if name.split("{")[0] == "parley_ready"]
    assert ready and set(ready) == {1.0}, scraped.text
    moved = [line for line in scraped.text.splitlines()
             if line.startswith(("parley_assignments_total", "parley_closes_total", "parley_ready",
                                 "parley_chats_waiting", "parley_beat_last_tick_age_seconds"))]
    say("/metrics (bearer token): 200\n    " + "\n    ".join(moved))


def _unacked_due(broker: redis.Redis) -> bool:
    """Every message delivered and not acknowledged is older than the visibility timeout (Redis' clock)."""
    seconds, micros = broker.time()
    now = seconds + micros / 1e6
    return all(delivered + VISIBILITY_TIMEOUT < now
               for _tag, delivered in broker.zrange("unacked_index", 0, -1, withscores=True))


def no_task_is_lost(stack: Stack, worker: str) -> None:
    """acks_late with the broker's redelivery (docs/operations.md, "Tasks are not lost"), with ``chat.tasks.probe``
    (a task that only takes the seconds it is given) sent as the web processes send tasks."""
    producer = Celery(broker=REDIS_URL)

    def send(seconds: float) -> str:
        task_id = str(uuid.uuid4())
        producer.send_task("chat.tasks.probe", args=[seconds], task_id=task_id)
        return task_id

    try:
        # 1. SIGTERM while a task runs and another waits: the running one ends before the worker exits (warm
        #    shutdown), the waiting one stays in the queue and runs once a worker is back.
        running = send(6)
        poll_until(lambda: "task_started" in stack.task_events(worker, running), timeout=60, every=0.2,
                   alive=stack.alive, message=lambda: f"the probe {running} to start{stack.tail(worker)}")
        waiting = send(0)
        assert stack.terminate(worker) == 0, stack.tail(worker)
        assert stack.task_events(worker, running)[-1] == "task_succeeded", stack.tail(worker)
        assert stack.task_events(worker, waiting) == [], stack.tail(worker)
        say("SIGTERM worker while a task ran: it ended the task, exited 0; the task queued behind it was not taken")
        worker = stack.start_worker()
        poll_until(lambda: "task_succeeded" in stack.task_events(worker, waiting), timeout=60, every=0.2,
                   alive=stack.alive, message=lambda: f"the queued probe {waiting} to run{stack.tail(worker)}")
        say("worker restarted: the task queued before the stop ran")

        # 2. The whole worker dies (SIGKILL) in the middle of a task: its message was never acknowledged, and once
        #    the visibility timeout (5 s here) has passed a worker that starts gives it again.
        crashed = send(10)
        poll_until(lambda: "task_started" in stack.task_events(worker, crashed), timeout=60, every=0.2,
                   alive=stack.alive, message=lambda: f"the probe {crashed} to start{stack.tail(worker)}")
        stack.kill(worker)
        assert "task_succeeded" not in stack.task_events(worker, crashed)
        say("SIGKILL worker (the whole group) in the middle of a 10 s task")
        # A starting worker gives back the unacknowledged messages whose visibility timeout has passed, by the
        # broker's own record (kombu's ``unacked_index``: delivery tag -> when it was delivered) and Redis' clock.
        broker = redis.Redis.from_url(REDIS_URL)
        poll_until(lambda: _unacked_due(broker), timeout=30, every=0.2,
                   message="the killed task's visibility timeout to pass in the broker")
        broker.close()
        worker = stack.start_worker()
        poll_until(lambda: "task_succeeded" in stack.task_events(worker, crashed), timeout=90, every=0.5,
                   alive=stack.alive, message=lambda: f"the killed probe {crashed} to run again{stack.tail(worker)}")
        say("worker restarted: the broker gave the killed task again and it ran to its end")
    finally:
        producer.close()

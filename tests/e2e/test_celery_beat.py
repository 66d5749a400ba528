"""End to end: a real Celery beat (DatabaseScheduler) and worker on Redis close a due chat on their own.

Nobody calls the service here: the PeriodicTask rows (as the data migration creates them) drive beat,
beat queues ``chat.tasks.close_inactive_chats`` on Redis, the worker runs it against the test database.
"""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.apps import apps
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from agents.models import Presence
from chat.models import Chat, ChatEvent, Message
from tests import factories
from tests.polling import poll_until
from tests.processes import process_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("Celery beat and worker processes on the test database"),
]

ROOT = Path(settings.BASE_DIR)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
periodic_tasks_migration = importlib.import_module("chat.migrations.0003_periodic_tasks")


def _env(tmp_path: Path) -> dict:
    return process_env(
        CELERY_BROKER_URL=REDIS_URL, TEST_CELERY_BROKER_URL=REDIS_URL, MEDIA_ROOT=str(tmp_path / "media")
    )


def _start(args: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)


def test_beat_and_worker_close_a_due_chat_without_anyone_calling_the_service(tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # nothing left over from an earlier run

    # The schedule as the data migration writes it (transactional tests flush migration data) ...
    periodic_tasks_migration.create_periodic_tasks(apps)
    close_task = PeriodicTask.objects.get(task="chat.tasks.close_inactive_chats")
    assert close_task.enabled and close_task.interval.every == 30
    # ... and, as an administrator would in the admin, run the close rule every second for this test.
    close_task.interval = type(close_task.interval).objects.create(every=1, period="seconds")
    close_task.expire_seconds = None
    close_task.save()

    agent = factories.UserFactory(username="e2e-agent")
    Presence.objects.create(agent=agent, logged_in=True, open_chats=1)
    long_ago = timezone.now() - timedelta(hours=2)
    due = Chat.objects.create(
        channel="website", status="assigned", agent=agent, queue=factories.QueueFactory(name="E2E"),
        created_at=long_ago, queued_at=long_ago, assigned_at=long_ago, page_closed_at=long_ago,
        last_heartbeat_at=long_ago,
    )
    fresh = Chat.objects.create(channel="website", status="waiting", queue=due.queue)

    env = _env(tmp_path)
    worker = _start(["worker", "--pool=solo", "--loglevel=INFO", "--without-heartbeat", "--without-gossip",
                     "--without-mingle", "-n", f"e2e-{os.getpid()}@%h"], env, tmp_path / "worker.log")
    beat = _start(["beat", "--loglevel=INFO", "-S", "django_celery_beat.schedulers:DatabaseScheduler"],
                  env, tmp_path / "beat.log")
    def both_alive():
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        assert beat.poll() is None, (tmp_path / "beat.log").read_text()

    try:
        # Beat and the worker write to the database; nothing tells this process when: it looks again.
        poll_until(
            lambda: not Chat.objects.filter(pk=due.pk).exclude(status="closed").exists(),
            timeout=90,
            every=0.2,
            alive=both_alive,
            message=lambda: "the schedule to close the chat\n--- worker\n" + (tmp_path / "worker.log").read_text()
            + "\n--- beat\n" + (tmp_path / "beat.log").read_text(),
        )
    finally:
        _stop(beat)
        _stop(worker)
        client.flushdb()

    due.refresh_from_db()
    assert (due.status, due.close_reason) == ("closed", "inactivity")
    assert ChatEvent.objects.filter(chat=due, kind="closed").count() == 1
    assert Message.objects.filter(chat=due, sender="system").count() == 1
    assert Presence.objects.get(agent=agent).open_chats == 0
    assert Chat.objects.get(pk=fresh.pk).status == "waiting"
    assert "chat.tasks.close_inactive_chats" in (tmp_path / "worker.log").read_text()

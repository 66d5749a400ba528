"""manage.py bench_live in miniature (issue 13, point 6): the same processes as the full run (its own database,
one uvicorn on the production settings, client processes, a publisher), with 5 agents and 10 widgets for 2 s.
It checks what the run reports, never how fast: every socket held, every nudge delivered."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

REDIS_URL = os.environ.get("TEST_CHANNEL_LAYER_URL", "redis://127.0.0.1:6379/14")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgresql("bench_live creates a PostgreSQL database and serves it to other processes"),
    pytest.mark.django_db,
]


def test_bench_live_holds_every_socket_and_delivers_every_nudge():
    database = f"{connection.settings_dict['NAME']}_bench_live"[:60]
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    run = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_live",
            "--agents",
            "5",
            "--widgets",
            "10",
            "--queues",
            "2",
            "--rate",
            "5",
            "--seconds",
            "2",
            "--idle-seconds",
            "1",
            "--baseline-seconds",
            "1",
            "--baseline-samples",
            "10",
            "--database",
            database,
            "--redis-url",
            REDIS_URL,
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = {line.split(" | ")[0].strip("| "): line for line in run.stdout.splitlines() if line.startswith("| ")}
    held = "15 / 15 (5 / 5 agents, 10 / 10 widgets); refused 0, dropped 0"
    assert held in rows["sockets held after opening"]
    assert held in rows["sockets held at the end"]
    assert "10 / 10 expected; 0 duplicate, 0 unmatched" in rows["deliveries to the widget"]
    assert "10 / 10 expected; 0 duplicate, 0 unmatched" in rows["deliveries to the inbox"]
    with connection._nodb_cursor() as cursor:  # the run drops its database after itself
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        assert cursor.fetchone() is None

"""``manage.py bench_web`` runs the production stack end to end and prints one row per hot path (tiny numbers:
this checks that the bench works, not how fast anything is)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import process_env

ROOT = Path(__file__).resolve().parents[2]
# A Redis database of its own: the bench empties it (the other process tests use 12 and 13).
REDIS_URL = os.environ.get("TEST_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]


def test_bench_web_prints_every_row_against_the_bare_view(db):
    env = process_env(DJANGO_SETTINGS_MODULE="config.settings.local")
    database = env["DATABASE_URL"].rsplit("/", 1)[1] + "_bench_web"
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_web",
            "--database-name",
            database,
            "--cache-url",
            REDIS_URL,
            "--seconds",
            "0.3",
            "--warmup",
            "0.1",
            "--concurrency",
            "2",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split("  ")[0].strip(): line for line in done.stdout.splitlines()}
    for name, status in [
        ("bare JsonResponse view", "200×"),
        ("widget: message GET, nothing new", "200×"),
        ("inbox: sidebar poll, nothing new", "204×"),
        ("inbox: open chat's poll, nothing new", "204×"),
        ("widget: message POST", "201×"),
        ("inbox: agent reply", "204×"),  # sent: the page empties its reply box itself
    ]:
        assert status in rows[name], done.stdout

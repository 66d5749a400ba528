"""``manage.py bench_reports`` builds its chats, times every report beside the baseline and prints the plans (a tiny
run: this checks that the bench works, not how fast anything is)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chat.reports.selectors import REPORTS
from tests.processes import process_env

ROOT = Path(__file__).resolve().parents[3]

pytestmark = [pytest.mark.slow, pytest.mark.postgresql]


def test_bench_reports_prints_every_report_against_the_baseline(db):
    env = process_env(DJANGO_SETTINGS_MODULE="config.settings.local")
    database = env["DATABASE_URL"].rsplit("/", 1)[1] + "_bench_reports"
    done = subprocess.run(
        [sys.executable, "manage.py", "bench_reports", "--database-name", database, "--chats", "2000", "--runs", "1",
         "--queues", "3", "--agents", "5"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "built 2,000 chats" in out
    assert "baseline: SELECT count(*) of the same chats" in out
    for name in REPORTS:
        assert f"  {name} " in out and f"  {name}:" in out, name  # its time, then its plan
    assert "goal: every report over 90 days under 2 s" in out

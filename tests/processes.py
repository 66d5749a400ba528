"""What a test gives the OS processes it starts (workers, web servers, rule runners): the test settings
and the test database, so that they see the rows the test wrote (transactional tests commit them)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess

from django.db import connection


def test_database_url() -> str:
    """The URL of the database this test process uses (pytest-django's test database)."""
    db = connection.settings_dict
    return f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(*, without: tuple[str, ...] = (), **extra: str) -> dict[str, str]:
    """This process's environment with the test settings and the test database, plus ``extra``."""
    return {
        **{name: value for name, value in os.environ.items() if name not in without},
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now (for a server the test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    """Does something accept connections on ``port`` of 127.0.0.1?"""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def stop_groups(procs, *, timeout: float = 30) -> None:
    """Stop processes started with ``start_new_session=True``, each with its children: SIGTERM to every group
    first (so they shut down together), then wait; a group still there after ``timeout`` seconds gets SIGKILL."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)

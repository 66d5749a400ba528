"""Where Parley keeps its runtime files and how settings read the environment (used by every settings module)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("PARLEY_VAR_DIR", BASE_DIR / "var"))
# Runtime files of the embedded mode (SQLite database, broker folders, uploads).
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict:
    """The ``default`` database of a ``DATABASE_URL``, with its connection lifetime or pool from the environment.

    ``DATABASE_CONN_MAX_AGE``: seconds a thread keeps its connection (0: one per request). ``DATABASE_POOL``
    (PostgreSQL only): a process-wide pool of connections (Django's, on psycopg_pool) instead, sized by
    ``DATABASE_POOL_MIN_SIZE`` and ``DATABASE_POOL_MAX_SIZE``; a thread takes a connection for a request and
    gives it back at the end. The ASGI server turns it on (``config/asgi.py``): it serves every request in a
    new thread, where a per-thread connection would be opened and closed per request (docs/performance.md).
    """
    database = dj_database_url.parse(url, conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")))
    if database["ENGINE"] == "django.db.backends.postgresql" and env_bool("DATABASE_POOL", False):
        database["CONN_MAX_AGE"] = 0  # Django refuses a lifetime with a pool: the pool keeps the connections
        database.setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DATABASE_POOL_MIN_SIZE", "2")),
            "max_size": int(os.environ.get("DATABASE_POOL_MAX_SIZE", "20")),
            "timeout": 10,  # seconds a request waits for a free connection before it fails
        }
    return database

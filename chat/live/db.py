"""How the sockets reach the database (docs/live.md, "Connections at scale")."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.db import close_old_connections


def in_pool(func):
    """``func`` (a whole unit of database work: no transaction spans two calls) run from a socket's coroutine in
    the executor's pool of threads, each with its own persistent connection, closed as Channels' own wrapper
    closes it: when it is broken or has outlived CONN_MAX_AGE. Not in the one thread that thread-sensitive calls
    share: with thousands of sockets, every event's checks and every heartbeat queued behind each other there."""

    def unit(*args, **kwargs):
        close_old_connections()
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return sync_to_async(unit, thread_sensitive=False)

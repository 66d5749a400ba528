"""Polling, named as such (docs/testing.md, "Waiting").

Where something can tell a test that another thread or process has done its part, the test waits on that:
a pipe the process writes to (tests/chat/rules/rule_process.py), a Condition the Graph stand-in notifies,
a barrier, a queue, the kernel's listen queue of a socket opened before the server starts. ``poll_until``
is for the few waits where nothing can tell: a Celery worker or beat process writing to the database, a
browser's request reaching the live server, PostgreSQL starting to wait for a lock. It looks again every
``every`` seconds (a plain ``time.sleep``) until ``timeout``; no assertion depends on how long it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable


def poll_until(
    condition: Callable[[], object],
    *,
    timeout: float = 10.0,
    every: float = 0.05,
    message: str | Callable[[], str] = "the condition",
    alive: Callable[[], None] | None = None,
) -> None:
    """Call ``condition`` every ``every`` seconds until it is true; fail after ``timeout`` seconds with
    ``message`` (a callable is called then: a process's log, say). ``alive`` is called before each look and
    fails at once when the other side died (``assert proc.poll() is None, log``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if alive is not None:
            alive()
        if time.monotonic() > deadline:
            waited_for = message() if callable(message) else message
            raise AssertionError(f"timed out after {timeout} s waiting for {waited_for}")
        time.sleep(every)

"""Run the readiness checks concurrently, each in a thread of its own, and answer within the deadline
(``HEALTH_CHECK_TIMEOUT_SECONDS``, 2 s): a check that has not answered by then is reported as failed.

A thread that hangs (a server that accepts and never answers) is a daemon and ends with its client's own socket
timeout; until it has, the next probe reports that check as failed at once instead of starting another thread,
so that a probe every few seconds against a silent server does not pile up threads.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time

from django.conf import settings
from django.db import connections
from health_check.base import HealthCheck
from health_check.exceptions import HealthCheckException

from core.health.checks import readiness_checks
from core.metrics.instruments import ready_gauge

logger = logging.getLogger(__name__)

_in_flight: dict[str, threading.Thread] = {}
_in_flight_lock = threading.Lock()


def run_check(check: HealthCheck) -> str | None:
    """Run one check in this thread: None when it passes, else its short reason (never an exception's text)."""
    try:
        if inspect.iscoroutinefunction(check.run):
            asyncio.run(check.run())
        else:
            check.run()
    except HealthCheckException as exc:
        return str(exc.message)
    except Exception as exc:  # noqa: BLE001  (its text may carry a URL with a password: the class name only)
        return f"unexpected error ({type(exc).__name__})"
    finally:
        connections.close_all()  # the connections this thread opened (a new thread each probe)
    return None


def _run_into(check: HealthCheck, outcome: dict) -> None:
    started = time.monotonic()
    error = run_check(check)
    outcome["ms"] = round((time.monotonic() - started) * 1000)
    outcome["error"] = error


def readiness() -> tuple[bool, dict[str, dict]]:
    """Whether every check passed, and one entry per check: ``{"ok": True, "ms": 3}`` or
    ``{"ok": False, "ms": 2000, "error": "timed out"}``."""
    deadline_seconds = settings.HEALTH_CHECK_TIMEOUT_SECONDS
    checks = readiness_checks()
    started = time.monotonic()
    running: dict[str, tuple[threading.Thread, dict]] = {}
    results: dict[str, dict] = {}
    for name, check in checks.items():
        with _in_flight_lock:
            previous = _in_flight.get(name)
            if previous is not None and previous.is_alive():
                results[name] = {"ok": False, "ms": 0, "error": "the previous probe of this check has not answered yet"}
                continue
            outcome: dict = {}
            thread = threading.Thread(target=_run_into, args=(check, outcome), name=f"health-{name}", daemon=True)
            _in_flight[name] = thread
        thread.start()
        running[name] = (thread, outcome)
    for name, (thread, outcome) in running.items():
        thread.join(max(0.0, started + deadline_seconds - time.monotonic()))
        if "error" not in outcome:
            results[name] = {
                "ok": False,
                "ms": round((time.monotonic() - started) * 1000),
                "error": f"no answer within {deadline_seconds:g} s",
            }
        elif outcome["error"] is None:
            results[name] = {"ok": True, "ms": outcome["ms"]}
        else:
            results[name] = {"ok": False, "ms": outcome["ms"], "error": outcome["error"]}
    ordered = {name: results[name] for name in checks}
    failing = [name for name, result in ordered.items() if not result["ok"]]
    if failing:
        logger.warning(
            "Readiness failing: %s", "; ".join(f"{name}: {ordered[name]['error']}" for name in failing)
        )
    ready_gauge().set(0 if failing else 1)
    return not failing, ordered

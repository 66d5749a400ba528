"""Celery beat's heartbeat: the scheduler records when it last ticked, so that ``/health/ready`` can tell a
running beat from a dead or wedged one (docs/operations.md, "Health").

django-celery-beat writes ``PeriodicTask.last_run_at`` only when it syncs (every 3 minutes), and a periodic
task that records the time would need a worker too (a dead worker or a long queue would look like a dead beat),
so the scheduler itself writes the time of its loop into the cache, at most every ``TICK_EVERY_SECONDS``.
``CELERY_BEAT_SCHEDULER`` names this class.
"""

from __future__ import annotations

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

from core.health.checks import record_beat_tick

logger = logging.getLogger(__name__)

TICK_EVERY_SECONDS = 10


class HeartbeatScheduler(DatabaseScheduler):
    """django-celery-beat's DatabaseScheduler, plus the heartbeat."""

    _last_heartbeat: float | None = None

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        now = time.monotonic()
        if self._last_heartbeat is None or now - self._last_heartbeat >= TICK_EVERY_SECONDS:
            try:
                record_beat_tick()
            except Exception:  # noqa: BLE001  (a cache outage must not stop the schedule; readiness will say it)
                logger.warning("Could not record beat's heartbeat in the cache.", exc_info=True)
            else:
                self._last_heartbeat = now
        return interval

"""One scrape: the values every process of this host wrote (multi-process mode), plus the collectors that read
their figures at scrape time (the database's, registered by the apps; beat's heartbeat).

Multi-process mode (``PROMETHEUS_MULTIPROC_DIR`` set, docs/operations.md "Metrics"): each web worker and each
Celery process (prefork children included) writes its counters, histograms and gauges to files of its own in that
directory; the scrape adds them up, so whichever web worker answers ``/metrics`` sees the whole host. A live gauge
(``parley_live_connections``) of a process that is no longer running is dropped at the scrape (its sockets are
closed); the counters of a finished process are kept, so totals never go down until the directory is emptied when
the host's processes are all started again (:func:`multiprocess_dir_prepare`).
"""

from __future__ import annotations

import glob
import logging
import os
import time
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

logger = logging.getLogger(__name__)

# Functions that yield metric families at scrape time, by name (the apps register theirs from ``ready()``).
_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


def collector_register(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """Read ``collect()``'s families at every scrape (once per name: registering again replaces it)."""
    _collectors[name] = collect


def multiprocess_dir() -> str | None:
    """The multi-process directory, or None (each process then has only its own values)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process of that number: alive
        return True
    return True


def _pid_of(path: str) -> int | None:
    tail = os.path.basename(path)[:-3].rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else None


def multiprocess_dir_prepare() -> str:
    """At a process's start (``config/celery.py``, imported with the ``config`` package by every process):
    create the multi-process directory, and when no other process that wrote there is still running (the host's
    processes were all stopped: a restart of the whole stack, a reboot), empty it, so that the counters start
    again from zero together. When any is still running (one process restarted by its supervisor, the second
    web worker starting), nothing is removed: the running ones' totals must not go down. Returns what it did."""
    directory = multiprocess_dir()
    if not directory:
        return "off"
    os.makedirs(directory, exist_ok=True)
    me = os.getpid()
    others = [path for path in glob.glob(os.path.join(directory, "*.db")) if _pid_of(path) != me]
    if any(_running(pid) for pid in {_pid_of(path) for path in others} if pid is not None):
        return "kept"
    for path in others:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
    return "emptied"


class HostCollector(MultiProcessCollector):
    """prometheus_client's multi-process collector, without the live gauges of processes that have ended (a web
    worker restarted by its supervisor never decremented its open sockets)."""

    def collect(self):
        files = []
        for path in glob.glob(os.path.join(self._path, "*.db")):
            parts = os.path.basename(path)[:-3].split("_")
            pid = _pid_of(path)
            if parts[0] == "gauge" and parts[1].startswith("live") and pid is not None and not _running(pid):
                mark_process_dead(pid, self._path)
                continue
            files.append(path)
        return self.merge(files, accumulate=True)


class _Registered:
    """The collectors of :func:`collector_register`; one failing (the database down) costs only its own families
    and says so in ``parley_metrics_collector_up``."""

    def describe(self):
        return []  # no names up front: a describe would run the database's queries twice per scrape

    def collect(self):
        up = GaugeMetricFamily(
            "parley_metrics_collector_up", "1 when the figures read at scrape time could be read, else 0.",
            labels=["collector"],
        )
        for name, collect in list(_collectors.items()):
            try:
                families = list(collect())
            except Exception:  # noqa: BLE001  (the scrape still answers with every other figure)
                logger.warning("Metrics collector %s failed", name, exc_info=True)
                up.add_metric([name], 0)
                continue
            up.add_metric([name], 1)
            yield from families
        yield up


class _ThisProcess:
    """The process's own default registry (single-process mode: development and tests)."""

    def describe(self):
        return []

    def collect(self):
        return REGISTRY.collect()


def beat_collect() -> Iterable[Metric]:
    """``parley_beat_last_tick_age_seconds``: seconds since Celery beat's heartbeat (core/health/beat.py); absent
    when beat never recorded one."""
    from core.health.checks import last_beat_tick  # noqa: PLC0415  (health imports the cache and DB machinery)

    tick = last_beat_tick()
    if tick is not None:
        family = GaugeMetricFamily(
            "parley_beat_last_tick_age_seconds", "Seconds since Celery beat last recorded its heartbeat."
        )
        family.add_metric([], max(0.0, time.time() - float(tick)))
        yield family


collector_register("beat", beat_collect)


def scrape() -> bytes:
    """The text exposition of every metric of this host."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        HostCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    registry.register(_Registered())
    return generate_latest(registry)

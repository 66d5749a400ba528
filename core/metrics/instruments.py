"""Every metric a Parley process writes, in one place (the names are a contract: docs/deploy's alert rules use
them). The figures that live in the database — chats waiting, the oldest wait, agents per state, Messenger
deliveries — are not here: they are read at scrape time (``chat.reports.metrics``), whatever the number of
processes.

With ``PROMETHEUS_MULTIPROC_DIR`` set (production: every web and Celery process of a host writes its values to
files there), prometheus_client's multi-process mode adds the processes' counters and histograms up at scrape
time; a gauge says how (``multiprocess_mode``). Without it (development, tests) each process has its own values.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import cache

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

# A process may start before any web or Celery process made the directory (``manage.py migrate`` on a new host):
# the histograms below write their first file as they are made.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# No ``*_created`` series beside each counter (the multi-process mode has none either): one shape everywhere.
disable_created_metrics()

# Seconds: from a fast request to a slow report page.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Seconds: a dispatch run is usually milliseconds; a sweep over a long queue may take seconds.
DISPATCH_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds: a timed rule runs every minute or so and should end well before its next run.
RULE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)

ASSIGNMENTS = Counter(
    "parley_assignments", "Chats given to an agent, by the strategy that decided (or manual).", ["strategy"]
)
TRANSFERS = Counter("parley_transfers", "Chats transferred (to an agent, a queue, or back to the queue), by reason.",
                    ["reason"])
CLOSES = Counter("parley_closes", "Chats closed, by reason.", ["reason"])
DISPATCH_DURATION = Histogram(
    "parley_dispatch_duration_seconds", "How long one dispatch run took.", buckets=DISPATCH_BUCKETS
)
RULE_DURATION = Histogram(
    "parley_rule_duration_seconds", "How long one run of a timed rule took.", ["rule"], buckets=RULE_BUCKETS
)
RULE_ROWS = Counter("parley_rule_rows", "What the timed rules changed (chats, agents, files: see the rule).", ["rule"])
MESSENGER_DELIVERY_FAILURES = Counter(
    "parley_messenger_delivery_failures",
    "Messenger replies whose delivery failed or was left unconfirmed, by state (failed, unknown).",
    ["state"],
)
LIVE_CONNECTIONS = Gauge(
    "parley_live_connections", "Open WebSocket connections, by kind (inbox, floor, widget).", ["kind"],
    multiprocess_mode="livesum",
)
HTTP_REQUESTS = Counter(
    "parley_http_requests", "HTTP requests answered, by view name, method and status.", ["view", "method", "status"]
)
HTTP_DURATION = Histogram(
    "parley_http_request_duration_seconds", "How long a request took to answer, by view name.", ["view"],
    buckets=HTTP_BUCKETS,
)


def timed[T](histogram: Histogram, function: Callable[[], T]) -> T:
    """Call ``function`` and observe its duration (also when it raises)."""
    started = time.perf_counter()
    try:
        return function()
    finally:
        histogram.observe(time.perf_counter() - started)


@cache
def ready_gauge() -> Gauge:
    """``parley_ready``, made at the first readiness probe: a process that never probed writes no value (an
    unlabelled gauge made at import would say 0, "not ready", before anyone asked)."""
    return Gauge(
        "parley_ready", "The last readiness probe of this host: 1 when every check passed, else 0.",
        multiprocess_mode="mostrecent",
    )

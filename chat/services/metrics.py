"""The chat's event counters (docs/operations.md, "Metrics"), counted from the live events (``live_published``):
each is published once per change, after its transaction committed, in the process that made the change (a web
worker, a Celery worker), and carries what the counters need in its data — an assignment's deciding strategy, a
transfer's or a close's reason, a Messenger reply's new delivery state. So a rolled-back change is never counted,
and a change is counted once however many processes there are (multi-process mode adds them up).

* ``chat.assigned`` with a ``strategy`` (dispatch, a manual assignment; not an internal chat's start):
  ``parley_assignments_total{strategy}``.
* ``chat.transferred``: ``parley_transfers_total{reason}`` (to an agent or a queue; a supervisor's take-over is
  reason ``taken_over``), and when it gave the chat to an agent, ``parley_assignments_total{strategy="manual"}``.
* ``chat.queued`` with a ``reason`` (back to its queue: the no-reply rule, a log-out, an agent's requeue):
  ``parley_transfers_total{reason}``; a new chat's queueing carries no reason.
* ``chat.closed``: ``parley_closes_total{reason}`` (the inactivity rule's closes included).
* ``chat.changed`` with ``delivery_status`` failed or unknown: ``parley_messenger_delivery_failures_total{state}``.
"""

from __future__ import annotations

from core.metrics.instruments import ASSIGNMENTS, CLOSES, MESSENGER_DELIVERY_FAILURES, TRANSFERS

from .live.event import LiveEvent

DELIVERY_FAILURES = frozenset({"failed", "unknown"})


def metrics_count_event(*, event: LiveEvent) -> None:
    """Count ``event`` (registered on ``live_published`` by ``chat.apps``)."""
    data = event.data
    if event.kind == "chat.assigned":
        if data.get("strategy"):
            ASSIGNMENTS.labels(strategy=str(data["strategy"])).inc()
    elif event.kind == "chat.transferred":
        TRANSFERS.labels(reason=str(data.get("reason") or "unknown")).inc()
        if data.get("strategy"):
            ASSIGNMENTS.labels(strategy=str(data["strategy"])).inc()
    elif event.kind == "chat.queued":
        if data.get("reason"):
            TRANSFERS.labels(reason=str(data["reason"])).inc()
    elif event.kind == "chat.closed":
        CLOSES.labels(reason=str(data.get("reason") or "unknown")).inc()
    elif event.kind == "chat.changed" and data.get("delivery_status") in DELIVERY_FAILURES:
        MESSENGER_DELIVERY_FAILURES.labels(state=str(data["delivery_status"])).inc()

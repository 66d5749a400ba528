"""The figures ``/metrics`` reads from the database at every scrape (docs/operations.md, "Metrics"): right
whatever the number of web and Celery processes, since they are the database's state, not a process's.

* ``parley_chats_waiting{queue}`` and ``parley_queue_oldest_wait_seconds{queue}``: the live floor's per-queue
  figures (``floor.floor_queues``), every active queue (0 when nothing waits).
* ``parley_agents{state}``: every active agent with a presence row in the floor's states (``agent_state``):
  logged_out, available, paused, on_phone_call, full.
* ``parley_messenger_deliveries{state}``: agents' Messenger replies now pending, sending, failed or unknown (each
  count a partial index's; "sent" is left out: it only grows, and its rate is the other states' complement).

A fixed number of queries (about six) whatever the number of queues, agents and chats.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Count
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from agents.models import Presence
from chat.models import ChatSettings, Message

from .agents_today import agent_state
from .floor import floor_queues

AGENT_STATES = ("logged_out", "available", "paused", "on_phone_call", "full")
DELIVERY_STATES = (
    Message.Delivery.PENDING, Message.Delivery.SENDING, Message.Delivery.FAILED, Message.Delivery.UNKNOWN,
)


def queue_figures(*, now: datetime, card: ChatSettings) -> list[tuple[str, int, float]]:
    """(queue name, chats waiting, seconds the oldest has waited) of every active queue."""
    return [
        (
            row.queue.name,
            row.waiting,
            max(0.0, (now - row.oldest_queued_at).total_seconds()) if row.oldest_queued_at else 0.0,
        )
        for row in floor_queues(now=now, card=card, pause_types=[])
    ]


def agents_by_state(*, card: ChatSettings) -> dict[str, int]:
    """How many active agents (with a presence row) are in each state."""
    counts = dict.fromkeys(AGENT_STATES, 0)
    presences = Presence.objects.filter(agent__is_active=True).only(
        "agent_id", "logged_in", "pause_type_id", "on_phone_call", "open_chats"
    )
    for presence in presences:
        counts[agent_state(presence, card.max_concurrent_chats)] += 1
    return counts


def deliveries_by_state() -> dict[str, int]:
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    for state in (Message.Delivery.PENDING, Message.Delivery.SENDING):  # each on its own partial index
        counts[state] = Message.objects.filter(delivery_status=state).count()
    for row in (
        Message.objects.filter(delivery_status__in=(Message.Delivery.FAILED, Message.Delivery.UNKNOWN))
        .values("delivery_status").annotate(n=Count("pk")).order_by()
    ):
        counts[row["delivery_status"]] = row["n"]
    return counts


def metrics_collect(now: datetime | None = None) -> Iterable[Metric]:
    """The families above (``core.metrics.exposition.collector_register`` calls this at every scrape)."""
    now = now or timezone.now()
    card = ChatSettings.load()
    waiting = GaugeMetricFamily("parley_chats_waiting", "Customer chats waiting for an agent, by queue.",
                                labels=["queue"])
    oldest = GaugeMetricFamily(
        "parley_queue_oldest_wait_seconds", "How long the longest-waiting chat of the queue has waited (0: none).",
        labels=["queue"],
    )
    for name, count, seconds in queue_figures(now=now, card=card):
        waiting.add_metric([name], count)
        oldest.add_metric([name], seconds)
    agents = GaugeMetricFamily("parley_agents", "Active agents by state.", labels=["state"])
    for state, count in agents_by_state(card=card).items():
        agents.add_metric([state], count)
    deliveries = GaugeMetricFamily(
        "parley_messenger_deliveries", "Agents' Messenger replies by delivery state (pending, sending, failed, "
        "unknown).", labels=["state"],
    )
    for state, count in deliveries_by_state().items():
        deliveries.add_metric([str(state)], count)
    return [waiting, oldest, agents, deliveries]

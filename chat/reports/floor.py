"""The live floor's figures (``/supervisor/``): per queue, per waiting chat, per agent — now and today.

A fixed number of queries whatever the number of queues, agents and waiting chats (docs/supervisor.md, "The
live floor"): the page is drawn again on every change (a push nudge), so its cost is what one change costs.
"Today" is the site's day (``settings.TIME_ZONE``), from its midnight. The definitions are SPEC.md's "Figures".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, F, Min, Q
from django.utils import timezone

from agents.models import PauseType, Presence
from chat.models import Chat, ChatSettings, Queue, QueueMembership
from chat.models.conditions import available_with_free_slot
from chat.selectors import (
    CUSTOMER_CHANNELS,
    WaitingReason,
    held_openings,
    opening_words,
    queue_positions,
    waiting_reasons,
)

from .agents_today import AgentToday, agents_today, today_bounds
from .figures import answered_within_target

LOGGED_OUT = "logged_out"

# The waiting chats the floor lists (the longest-waiting first); the per-queue counts cover them all.
WAITING_SHOWN = 200


@dataclass
class QueueRow:
    queue: Queue
    waiting: int = 0
    oldest_queued_at: datetime | None = None  # the longest wait: since then
    queued_today: int = 0
    answered_in_target_today: int = 0
    logged_in: int = 0
    available: int = 0  # may be given a chat now (logged in, no pause, below the maximum; parameter 6)
    paused: list[tuple[str, int]] = field(default_factory=list)  # (pause type, agents) with at least one
    paused_total: int = 0
    on_phone_call: int = 0
    full: int = 0  # logged in, not paused, at the maximum of open chats

    @property
    def in_target_percent(self) -> int | None:
        if not self.queued_today:
            return None
        return round(100 * self.answered_in_target_today / self.queued_today)


@dataclass
class WaitingRow:
    chat: Chat
    position: int | None
    reason: WaitingReason | None
    opens: str = ""  # held for business hours: "opens Mon 08:00"


@dataclass
class AgentRow:
    agent_id: int
    name: str
    queues: list[str]
    pause: str  # the pause type's name while paused
    today: AgentToday


@dataclass
class Floor:
    now: datetime
    max_chats: int
    queues: list[QueueRow]
    waiting: list[WaitingRow]
    waiting_total: int
    agents: list[AgentRow]
    pause_types: list[PauseType]


def floor_get(*, now: datetime | None = None) -> Floor:
    now = now or timezone.now()
    card = ChatSettings.load()
    pause_types = list(PauseType.objects.all())
    queues = floor_queues(now=now, card=card, pause_types=pause_types)
    waiting = floor_waiting(card=card)
    return Floor(
        now=now,
        max_chats=card.max_concurrent_chats,
        queues=queues,
        waiting=waiting,
        waiting_total=sum(row.waiting for row in queues),
        agents=floor_agents(now=now),
        pause_types=pause_types,
    )


def floor_queues(*, now: datetime, card: ChatSettings, pause_types: list[PauseType]) -> list[QueueRow]:
    """Every active queue with its waiting chats, today's answers within target and its agents by state."""
    rows = {queue.pk: QueueRow(queue=queue) for queue in Queue.objects.filter(active=True).order_by("name")}
    customer_chats = Chat.objects.filter(channel__in=CUSTOMER_CHANNELS, queue_id__in=rows)
    for r in customer_chats.filter(status=Chat.Status.WAITING).values("queue_id").annotate(
        n=Count("pk"), oldest=Min("queued_at")
    ).order_by():
        rows[r["queue_id"]].waiting, rows[r["queue_id"]].oldest_queued_at = r["n"], r["oldest"]
    for r in customer_chats.filter(queued_at__range=today_bounds(now)).values("queue_id").annotate(
        n=Count("pk"), in_target=Count("pk", filter=answered_within_target())
    ).order_by():
        rows[r["queue_id"]].queued_today, rows[r["queue_id"]].answered_in_target_today = r["n"], r["in_target"]
    available = available_with_free_slot(allow_phone_call=card.assign_during_phone_call).q(
        max=card.max_concurrent_chats
    )
    members = Presence.objects.filter(
        agent__memberships__queue_id__in=rows, agent__is_active=True, logged_in=True
    ).annotate(queue_id=F("agent__memberships__queue_id"))
    for r in members.values("queue_id").annotate(
        n_logged_in=Count("pk"),
        n_available=Count("pk", filter=available),
        n_on_phone_call=Count("pk", filter=Q(on_phone_call=True)),
        n_full=Count("pk", filter=Q(pause_type__isnull=True, open_chats__gte=card.max_concurrent_chats)),
    ).order_by():
        row = rows[r["queue_id"]]
        row.logged_in, row.available, row.on_phone_call, row.full = (
            r["n_logged_in"], r["n_available"], r["n_on_phone_call"], r["n_full"]
        )
    labels = {pause.pk: pause.label for pause in pause_types}
    for r in members.filter(pause_type__isnull=False).values("queue_id", "pause_type_id").annotate(
        n=Count("pk")
    ).order_by("queue_id", "pause_type_id"):
        row = rows[r["queue_id"]]
        row.paused.append((labels.get(r["pause_type_id"], "?"), r["n"]))
        row.paused_total += r["n"]
    return list(rows.values())


def floor_waiting(*, card: ChatSettings, limit: int = WAITING_SHOWN) -> list[WaitingRow]:
    """The waiting customer chats, the longest-waiting first, each with its place in its queue and why it has no
    agent yet."""
    chats = list(
        Chat.objects.filter(status=Chat.Status.WAITING, channel__in=CUSTOMER_CHANNELS)
        .select_related("queue", "customer")
        .order_by(F("queued_at").asc(nulls_last=True), "pk")[:limit]
    )
    positions = queue_positions(chat_ids=[chat.pk for chat in chats])
    reasons = waiting_reasons(chats=chats, card=card)
    openings = held_openings(chats=chats)
    return [
        WaitingRow(
            chat=chat, position=positions.get(chat.pk), reason=reasons.get(chat.pk),
            opens=opening_words(openings[chat.pk]) if chat.pk in openings else "",
        )
        for chat in chats
    ]


def floor_agents(*, now: datetime) -> list[AgentRow]:
    """Every active agent with a presence row, his state and today's figures (``agents_today``): logged-in ones
    first, then by name."""
    people = {
        presence.agent_id: presence
        for presence in Presence.objects.filter(agent__is_active=True).select_related("agent", "pause_type")
    }
    today = agents_today(agent_ids=list(people), now=now)
    queues: dict[int, list[str]] = {}
    for agent_id, name in QueueMembership.objects.filter(agent_id__in=people, queue__active=True).order_by(
        "queue__name"
    ).values_list("agent_id", "queue__name"):
        queues.setdefault(agent_id, []).append(name)
    rows = [
        AgentRow(
            agent_id=agent_id, name=presence.agent.display_name, queues=queues.get(agent_id, []),
            pause=presence.pause_type.label if presence.logged_in and presence.pause_type_id else "",
            today=today[agent_id],
        )
        for agent_id, presence in people.items()
    ]
    rows.sort(key=lambda row: (row.today.state == LOGGED_OUT, row.name.casefold()))
    return rows

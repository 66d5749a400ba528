"""INTERIM (the apikeys helper's version replaces it at merge): each agent's state and today's figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from agents.models import Presence, PresenceEvent
from chat.models import Chat, ChatSettings


@dataclass
class AgentToday:
    LOGGED_OUT = "logged_out"
    name: str
    state: str
    state_since: datetime | None
    pause: str
    open_chats: int
    max_chats: int
    chats_today: int
    answered_today: int
    median_first_response_seconds: float | None


def agents_today(*, agent_ids=None, now: datetime | None = None) -> dict[int, AgentToday]:
    now = now or timezone.now()
    start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    card = ChatSettings.load()
    presences = Presence.objects.filter(agent__is_active=True).select_related("agent", "pause_type").annotate(
        since=Subquery(
            PresenceEvent.objects.filter(agent_id=OuterRef("agent_id")).order_by("-created_at").values("created_at")[:1]
        )
    )
    if agent_ids is not None:
        presences = presences.filter(agent_id__in=agent_ids)
    counts = {
        r["agent_id"]: r
        for r in Chat.objects.filter(first_assigned_at__gte=start, agent_id__isnull=False).values("agent_id").annotate(
            n=Count("pk"), answered=Count("pk", filter=Q(first_response_at__isnull=False))
        ).order_by()
    }
    out = {}
    for p in presences:
        state = (
            "logged_out" if not p.logged_in else "paused" if p.pause_type_id else "on_phone_call" if p.on_phone_call
            else "full" if p.open_chats >= card.max_concurrent_chats else "available"
        )
        c = counts.get(p.agent_id, {})
        out[p.agent_id] = AgentToday(
            name=p.agent.display_name, state=state, state_since=p.since,
            pause=p.pause_type.label if p.pause_type else "",
            open_chats=p.open_chats, max_chats=card.max_concurrent_chats, chats_today=c.get("n", 0),
            answered_today=c.get("answered", 0), median_first_response_seconds=None,
        )
    return out

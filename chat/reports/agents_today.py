"""Each agent's state and today's figures: what the live floor shows per agent and what the agents API returns
under ``today``. Definitions: SPEC.md, "Figures"; docs/api.md, "Agents: presence and today".

Three queries for any number of agents (the card; the presence rows with each agent's latest presence event as a
subquery; one aggregate over today's assignment events, each (agent, chat) pair once, joined to their chats), so
the floor's 200 agents cost the same as one.

- ``chats_today``: the customer chats given to him today (site time zone): an ``assigned`` event naming him
  (automatic or manual) or a ``transferred`` event to him. A chat transferred from Anna to Bartek counts for both.
- ``answered_today``: of those, the chats with an agent message (``Chat.first_response_at`` set).
- ``median_first_response_seconds``: of those answered, first assigned today, the median of
  ``first_response_at - first_assigned_at`` (the chat's first-response time). PostgreSQL's ``percentile_cont``;
  on another database (the SQLite test settings) None.
- ``state``: ``logged_out``, ``paused``, ``on_phone_call``, ``full`` (open chats at the card's maximum) or
  ``available``, in that order of precedence; ``state_since``: his latest presence event (log in/out, pause,
  resume, phone call), else the presence row's ``changed_at``. Becoming full writes no presence event, so for
  ``full`` it is the time he became available.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from agents.models import Presence, PresenceEvent
from chat.models import Chat, ChatEvent, ChatSettings


@dataclass(frozen=True)
class AgentToday:
    state: str
    state_since: datetime | None
    open_chats: int
    max_chats: int
    chats_today: int
    answered_today: int
    median_first_response_seconds: float | None


# Each (agent, chat) pair once, however often the chat came to him today; then the figures per agent. The
# (kind, created_at) index of ChatEvent picks today's events.
FIGURES_SQL = """
SELECT given.agent_id,
       COUNT(*) AS chats,
       COUNT(*) FILTER (WHERE chat.first_response_at IS NOT NULL) AS answered,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM chat.first_response_at - chat.first_assigned_at))
           FILTER (WHERE chat.first_response_at IS NOT NULL
                   AND chat.first_assigned_at >= %(start)s AND chat.first_assigned_at < %(end)s) AS median
FROM (SELECT DISTINCT agent_id, chat_id FROM {event}
      WHERE kind IN (%(assigned)s, %(transferred)s) AND agent_id IS NOT NULL
        AND created_at >= %(start)s AND created_at < %(end)s {only}) AS given
JOIN {chat} AS chat ON chat.id = given.chat_id
WHERE chat.channel <> %(internal)s
GROUP BY given.agent_id
"""


def _figures(ids: list[int] | None, start: datetime, end: datetime) -> dict[int, dict]:
    """``{agent_id: {"chats", "answered", "median"}}`` for the agents with a chat given to them today."""
    kinds = (ChatEvent.Kind.ASSIGNED, ChatEvent.Kind.TRANSFERRED)
    if connection.vendor != "postgresql":  # the SQLite leg: the counts by the ORM, no median
        given = ChatEvent.objects.filter(
            kind__in=kinds, agent_id__isnull=False, created_at__gte=start, created_at__lt=end
        ).exclude(chat__channel=Chat.Channel.INTERNAL)
        if ids is not None:
            given = given.filter(agent_id__in=ids)
        figures = given.order_by().values("agent_id").annotate(
            chats=Count("chat", distinct=True),
            answered=Count("chat", distinct=True, filter=Q(chat__first_response_at__isnull=False)),
        )
        return {row["agent_id"]: {**row, "median": None} for row in figures}
    sql = FIGURES_SQL.format(
        event=ChatEvent._meta.db_table, chat=Chat._meta.db_table,
        only="AND agent_id = ANY(%(ids)s)" if ids is not None else "",
    )
    params = {"start": start, "end": end, "assigned": kinds[0].value, "transferred": kinds[1].value,
              "internal": Chat.Channel.INTERNAL.value, "ids": ids}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {agent_id: {"chats": chats, "answered": answered, "median": median}
                for agent_id, chats, answered, median in cursor.fetchall()}


def today_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Midnight to midnight of ``now``'s day in the site's time zone (``TIME_ZONE``), as aware datetimes."""
    local = timezone.localtime(now or timezone.now())
    start = timezone.make_aware(datetime.combine(local.date(), time.min), local.tzinfo)
    end = timezone.make_aware(datetime.combine(local.date() + timedelta(days=1), time.min), local.tzinfo)
    return start, end


def agent_state(presence: Presence | None, max_chats: int) -> str:
    if presence is None or not presence.logged_in:
        return "logged_out"
    if presence.pause_type_id:
        return "paused"
    if presence.on_phone_call:
        return "on_phone_call"
    if presence.open_chats >= max_chats:
        return "full"
    return "available"


def agents_today(*, agent_ids=None, now: datetime | None = None) -> dict[int, AgentToday]:
    """The state and today's figures of the given agents (None: every agent with a presence row), by agent id.
    An agent without a presence row is logged out with zeros."""
    now = now or timezone.now()
    start, end = today_bounds(now)
    max_chats = ChatSettings.load().max_concurrent_chats
    ids = None if agent_ids is None else sorted({int(agent_id) for agent_id in agent_ids})
    if ids == []:
        return {}

    latest_event = PresenceEvent.objects.filter(agent_id=OuterRef("pk")).order_by("-created_at", "-id")
    presences = Presence.objects.annotate(last_event_at=Subquery(latest_event.values("created_at")[:1]))
    if ids is not None:
        presences = presences.filter(pk__in=ids)
    by_agent = {presence.pk: presence for presence in presences}

    rows = _figures(ids, start, end)
    result = {}
    for agent_id in ids if ids is not None else sorted(by_agent):
        presence = by_agent.get(agent_id)
        row = rows.get(agent_id, {})
        median = row.get("median")
        median = float(median) if median is not None else None
        result[agent_id] = AgentToday(
            state=agent_state(presence, max_chats),
            state_since=(presence.last_event_at or presence.changed_at) if presence else None,
            open_chats=presence.open_chats if presence else 0,
            max_chats=max_chats,
            chats_today=row.get("chats", 0),
            answered_today=row.get("answered", 0),
            median_first_response_seconds=round(median, 1) if median is not None else None,
        )
    return result

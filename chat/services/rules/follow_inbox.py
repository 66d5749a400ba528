"""Presence follows the open inbox (issue 13, point 4; SPEC.md "Rules added after the first release"): an
available agent whose inbox gave no sign for the card's ``no_inbox_after`` seconds is put on the card's
``no_inbox_pause_type``, or logged out when none is chosen, and his open customer chats go back to the head of
their queues for colleagues (the log-out rule). docs/timed-rules.md, "Presence follows the open inbox"."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from agents.models import LIVE_SILENT, Presence
from agents.services import presence_live_lost
from chat.models import ChatSettings

from ..presence import chats_requeue_for_logout
from .base import dispatch_after, now_or

logger = logging.getLogger(__name__)

# The TRANSFERRED reason of a chat taken from an agent the rule put on a pause (a log-out's is the log-out
# rule's own, "agent_logged_out").
REQUEUE_NO_INBOX = "no_inbox"


def silent_agents(*, card: ChatSettings, now: datetime) -> list[int]:
    """The available agents whose last inbox sign is at or before ``now - no_inbox_after``: one query on
    ``presence_live_seen_idx``; none when the card says 0 (never)."""
    if not card.no_inbox_after:
        return []
    cutoff = now - timedelta(seconds=card.no_inbox_after)
    return list(
        Presence.objects.filter(LIVE_SILENT.q(cutoff=cutoff)).order_by("agent_id").values_list("agent_id", flat=True)
    )


def presence_follow_inbox(*, now: datetime | None = None) -> int:
    """Take every available agent with no open inbox for longer than the card says off: paused with the card's
    pause type (his open customer chats then requeued, reason "no_inbox") or logged out (the log-out rule
    requeues them, reason "agent_logged_out"); a dispatch follows. Each agent goes through
    ``presence_live_lost``, whose conditional UPDATE re-checks that he is still available and still silent: a
    heartbeat that came meanwhile, a second run or a second worker changes nothing. An agent on a phone call is
    treated like any other (docs/timed-rules.md). Returns how many agents it took off."""
    now = now_or(now)
    card = ChatSettings.load()
    due = silent_agents(card=card, now=now)
    if not due:
        return 0
    cutoff = now - timedelta(seconds=card.no_inbox_after)
    pause_type_id = card.no_inbox_pause_type_id
    taken_off = 0
    for agent_id in due:
        done = presence_live_lost(agent_id=agent_id, seen_before=cutoff, pause_type_id=pause_type_id)
        if done is None:
            continue  # seen meanwhile, or another worker was first
        if done == "paused":
            chats_requeue_for_logout(agent_id=agent_id, reason=REQUEUE_NO_INBOX)
        taken_off += 1
    if taken_off:
        logger.info("%d agents without an open inbox taken off", taken_off)
        dispatch_after(now)
    return taken_off

"""Rule 2 (parameters 3, 4): take every chat whose client's message stayed unanswered for X seconds from its
agent (SPEC.md "Transfer on no reply"), with the invariants of ``chat_requeue(exclude_agent=True)`` and of the
no-reply pause (tests/chat/rules/test_same_invariants.py)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.db import transaction

from agents.models import Presence, PresenceEvent
from chat.models import Chat, ChatEvent, ChatSettings, NoReplyExclusion
from chat.models.conditions import HOLDS_SLOT
from chat.models.transitions import REQUEUE
from core.conditions import P, Where

from ..live.publish import live_chat, live_presence
from .base import Due, dispatch_after, lock_due_update, now_or, retry_on_deadlock, slots_free

logger = logging.getLogger(__name__)

NO_REPLY_REASON = "no_reply"

# Assigned customer chats whose client waits for an answer since GREATEST(awaiting_reply_since, assigned_at)
# <= cutoff (``chat_awaiting_reply_idx``).
UNANSWERED = (
    HOLDS_SLOT
    & Where(awaiting_reply_since__isnull=False, awaiting_reply_since__lte=P("cutoff"))
    & (Where(assigned_at__isnull=True) | Where(assigned_at__lte=P("cutoff")))
)
# The no-reply pause (parameter 4) takes only an agent who is available: one already on another pause, or
# logged out, keeps his state (docs/decisions.md, "Pauses: a person's choice and the rule's").
MAY_BE_PAUSED_FOR_NO_REPLY = Where(logged_in=True, pause_type_id__isnull=True)


def unanswered_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Assigned customer chats whose client waits for an answer since
    GREATEST(awaiting_reply_since, assigned_at) <= now - X (``chat_awaiting_reply_idx``); None when X = 0."""
    if not card.no_reply_transfer_after:
        return None
    return Due(Chat, UNANSWERED, {"cutoff": now - timedelta(seconds=card.no_reply_transfer_after)})


def unanswered_transfer_at(*, chat: Chat, card: ChatSettings) -> datetime | None:
    """When the no-reply rule will transfer ``chat``: the first moment ``UNANSWERED`` holds for it, i.e.
    GREATEST(awaiting_reply_since, assigned_at) + X. None when the rule is off or the chat does not wait for its
    agent's answer (the inbox's countdown, "transfers in 0:42"). The rule runs every few seconds, so it acts at
    this moment or within one period after it."""
    if not card.no_reply_transfer_after:
        return None
    since = max((t for t in (chat.awaiting_reply_since, chat.assigned_at) if t is not None), default=None)
    if since is None or not UNANSWERED.holds(chat, cutoff=since):
        return None
    return since + timedelta(seconds=card.no_reply_transfer_after)


def _pause_for_no_reply(*, agent_ids: set[int], pause_type_id: int, now: datetime) -> list[int]:
    """Parameter 4, as ``presence_pause`` does it (conditional update + PresenceEvent), for the agents who never
    answered and may be paused (``MAY_BE_PAUSED_FOR_NO_REPLY``). The Presence rows are already locked by
    ``slots_free``."""
    may = Presence.objects.filter(MAY_BE_PAUSED_FOR_NO_REPLY.q(), agent_id__in=agent_ids)
    paused = sorted(may.values_list("agent_id", flat=True))
    if not paused:
        return []
    Presence.objects.filter(MAY_BE_PAUSED_FOR_NO_REPLY.q(), agent_id__in=paused).update(
        pause_type_id=pause_type_id, changed_at=now
    )
    PresenceEvent.objects.bulk_create(
        [
            PresenceEvent(
                agent_id=agent_id,
                kind=PresenceEvent.Kind.PAUSED,
                pause_type_id=pause_type_id,
                reason=NO_REPLY_REASON,
                created_at=now,
            )
            for agent_id in paused
        ]
    )
    for agent_id in paused:
        live_presence(agent_id=agent_id)
    return paused


def chats_transfer_unanswered(*, now: datetime | None = None) -> int:
    """Take every chat whose client's message stayed unanswered for X seconds (counted from the
    later of the message and the assignment) from its agent (SPEC.md "Transfer on no reply").

    Set-based, in one transaction: one conditional ``UPDATE … RETURNING`` (``REQUEUE``, still assigned to the
    same agent) puts the chats back to waiting keeping their queue time (head of the queue), the agents' slots
    are freed (Presence rows locked in agent order), each agent is excluded from his chat (NoReplyExclusion),
    a TRANSFERRED event (reason "no_reply") is written per chat, and an agent who never answered in his chat
    is put on parameter 4's pause (AGENT_PAUSED on that chat, PAUSED in his presence log). Dispatch then
    offers the chats to other eligible agents who have not had them, and, when there are none, back to one who
    had (docs/routing.md, "No-reply exclusions": the VIP's owner gets her chat back at once).
    """
    now = now_or(now)
    card = ChatSettings.load()
    due = unanswered_due(card=card, now=now)
    if due is None or not due.count():  # X = 0 (off), or the idle sweep
        return 0
    pause_type_id = card.no_reply_pause_type_id

    def run() -> list:
        with transaction.atomic():
            moved = [
                (cid, agent_id, replied is None, queue_id)
                for cid, agent_id, replied, queue_id in lock_due_update(
                    due, REQUEUE, values={"now": now}, columns=("id", "agent_id", "agent_replied_at", "queue_id"),
                    same=("agent_id",),
                )
            ]
            if not moved:
                return []
            slots_free(per_agent=Counter(agent_id for _cid, agent_id, _never, _q in moved if agent_id))
            NoReplyExclusion.objects.bulk_create(
                [NoReplyExclusion(chat_id=cid, agent_id=agent_id, created_at=now) for cid, agent_id, _n, _q in moved],
                ignore_conflicts=True,
                batch_size=2000,
            )
            ChatEvent.objects.bulk_create(
                [
                    ChatEvent(
                        chat_id=cid,
                        kind=ChatEvent.Kind.TRANSFERRED,
                        from_agent_id=agent_id,
                        queue_id=queue_id,
                        reason=NO_REPLY_REASON,
                        created_at=now,
                        # The limit then, for the timeline's "did not reply within 2 minutes".
                        data={"after_seconds": card.no_reply_transfer_after},
                    )
                    for cid, agent_id, _never, queue_id in moved
                ],
                batch_size=2000,
            )
            for cid, agent_id, _never, queue_id in moved:
                live_chat("chat.queued", chat_id=cid, agents=[agent_id], queues=[queue_id], reason=NO_REPLY_REASON)
            if pause_type_id:
                _pause_the_silent(moved, pause_type_id=pause_type_id, now=now)
            return moved

    moved = retry_on_deadlock(run)
    if moved:
        logger.info("transferred %d unanswered chats", len(moved))
        dispatch_after(now)
    return len(moved)


def _pause_the_silent(moved: list[tuple], *, pause_type_id: int, now: datetime) -> None:
    """Parameter 4 for the agents who never answered in their chat, with AGENT_PAUSED on that chat."""
    paused = set(
        _pause_for_no_reply(
            agent_ids={agent_id for _c, agent_id, never, _q in moved if never and agent_id},
            pause_type_id=pause_type_id,
            now=now,
        )
    )
    ChatEvent.objects.bulk_create(
        [
            ChatEvent(
                chat_id=cid,
                kind=ChatEvent.Kind.AGENT_PAUSED,
                agent_id=agent_id,
                reason=NO_REPLY_REASON,
                data={"pause_type": pause_type_id},
                created_at=now,
            )
            for cid, agent_id, never, _q in moved
            if never and agent_id in paused
        ],
        batch_size=2000,
    )

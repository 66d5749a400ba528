"""Rule 1 (parameters 1, 2, 8): close every open chat over its inactivity limit (SPEC.md "Closing inactive
chats"), with the invariants of ``chat_close(reason="inactivity")`` (tests/chat/rules/test_same_invariants.py)."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings as django_settings
from django.db import transaction

from chat.models import Chat, ChatEvent, ChatSettings, Message
from chat.models.conditions import HOLDS_SLOT, OPEN
from chat.models.transitions import CLOSE
from core.conditions import AnyOf, Condition, P, Where

from ..chats import CLOSING_MESSAGES, system_text
from ..live.publish import live_chat
from .base import Due, dispatch_after, lock_due_update, now_or, retry_on_deadlock, slots_free

logger = logging.getLogger(__name__)

W, M, I = Chat.Channel.WEBSITE, Chat.Channel.MESSENGER, Chat.Channel.INTERNAL  # noqa: E741


def _clock(channel: str, column: str, cutoff: str, **also) -> list[Where]:
    """``COALESCE(column, created_at) <= cutoff`` for one channel, as two sargable branches (and ``also``)."""
    return [
        Where(channel=channel, **also, **{f"{column}__lte": P(cutoff)}),
        Where(channel=channel, **also, **{f"{column}__isnull": True}, created_at__lte=P(cutoff)),
    ]


@lru_cache(maxsize=16)
def _inactive(website: str | None, messenger: bool, internal: bool) -> Condition:
    """The condition for the channels switched on (``website``: the counting mode, None when off)."""
    branches: list[Where] = []
    # An offline message (``Chat.offline``) is never closed for inactivity: its visitor is not on the page and is
    # answered by e-mail; it waits for an agent, who closes it once the answer has gone (docs/inbox.md).
    if website == ChatSettings.InactivityFrom.PAGE_CLOSED:
        branches += [
            Where(channel=W, offline=False, page_closed_at__lte=P("website")),
            Where(
                channel=W, offline=False, page_closed_at__isnull=True, last_heartbeat_at__lte=P("website_heartbeat")
            ),
        ]
    elif website is not None:
        branches += _clock(W, "last_client_message_at", "website", offline=False)
    if messenger:
        branches += _clock(M, "last_client_message_at", "messenger")
    if internal:
        branches += _clock(I, "last_message_at", "internal")
    return OPEN & AnyOf(tuple(branches))


def inactive_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Open chats over their inactivity limit; ``None`` when every timeout is 0 (off).

    Website, "page closed": COALESCE(page_closed_at, last_heartbeat_at + 90 s) <= now - timeout
    Website, "client's last message", and Messenger: COALESCE(last_client_message_at, created_at) <= …
    Internal: COALESCE(last_message_at, created_at) <= now - internal timeout
    each written as two sargable branches (``chat_open_*_idx``, partial over open chats).
    """
    values: dict[str, datetime] = {}
    if card.inactivity_timeout_website:
        values["website"] = now - timedelta(seconds=card.inactivity_timeout_website)
        if card.inactivity_counted_from == ChatSettings.InactivityFrom.PAGE_CLOSED:
            hb = timedelta(seconds=django_settings.WIDGET_HEARTBEAT_TIMEOUT_SECONDS)
            values["website_heartbeat"] = values["website"] - hb
    if card.inactivity_timeout_messenger:
        values["messenger"] = now - timedelta(seconds=card.inactivity_timeout_messenger)
    if card.inactivity_timeout_internal:
        values["internal"] = now - timedelta(seconds=card.inactivity_timeout_internal)
    if not values:
        return None
    website = card.inactivity_counted_from if card.inactivity_timeout_website else None
    condition = _inactive(website, bool(card.inactivity_timeout_messenger), bool(card.inactivity_timeout_internal))
    return Due(Chat, condition, values)


def chats_close_inactive(*, now: datetime | None = None) -> int:
    """Close every open chat over its inactivity limit (SPEC.md "Closing inactive chats").

    One ``UPDATE … WHERE <due> AND status <> 'closed' … RETURNING`` closes them
    (``CLOSE``, reason "inactivity"), then, in the same transaction, the agents' slots are
    freed (grouped per agent), and one system message and one CLOSED event per
    closed chat are bulk-inserted. Dispatch runs after commit.
    """
    now = now_or(now)
    card = ChatSettings.load()
    due = inactive_due(card=card, now=now)
    if due is None or not due.count():  # every timeout 0 (off), or the idle sweep
        return 0

    timeouts = {
        W: card.inactivity_timeout_website, M: card.inactivity_timeout_messenger, I: card.inactivity_timeout_internal,
    }

    def run() -> list:
        with transaction.atomic():
            closed = lock_due_update(
                due, CLOSE, values={"now": now, "reason": Chat.CloseReason.INACTIVITY},
                columns=("id", "channel", "agent_id", "status", "queue_id", "initiator_id"),
            )
            if not closed:
                return []
            slots_free(per_agent=_held_slots(closed))
            text = system_text(CLOSING_MESSAGES[Chat.CloseReason.INACTIVITY])
            notes = Message.objects.bulk_create(
                [Message(chat_id=cid, sender=Message.Sender.SYSTEM, body=text, created_at=now) for cid, *_ in closed],
                batch_size=2000,
            )
            ChatEvent.objects.bulk_create(
                [
                    ChatEvent(
                        chat_id=cid,
                        kind=ChatEvent.Kind.CLOSED,
                        created_at=now,
                        agent_id=agent_id,
                        queue_id=queue_id,
                        reason=Chat.CloseReason.INACTIVITY,
                        # The channel's limit then, for the timeline's "inactive for 10 minutes".
                        data={"previous_status": old_status, "after_seconds": timeouts.get(channel)},
                    )
                    for cid, channel, agent_id, old_status, queue_id, _initiator_id in closed
                ],
                batch_size=2000,
            )
            for (cid, _channel, agent_id, old_status, queue_id, initiator_id), note in zip(closed, notes, strict=True):
                waiting = old_status == Chat.Status.WAITING
                live_chat(
                    "chat.closed", chat_id=cid, agents=[agent_id, initiator_id], queues=[queue_id if waiting else None],
                    message_id=note.pk, reason=Chat.CloseReason.INACTIVITY,
                )
            return closed

    closed = retry_on_deadlock(run)
    if closed:
        logger.info("closed %d inactive chats", len(closed))
        if _held_slots(closed):
            dispatch_after(now)
    return len(closed)


def _held_slots(closed: list[tuple]) -> Counter:
    """One slot per closed chat that held one (``HOLDS_SLOT`` before it closed; internal chats take none)."""
    return Counter(
        agent_id
        for _id, channel, agent_id, old_status, *_rest in closed
        if agent_id and HOLDS_SLOT.holds({"status": old_status, "channel": channel})
    )

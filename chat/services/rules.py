"""Timed rules (SPEC.md "The rules", DESIGN.md "Timed rules").

Each rule is one function taking ``now=None`` that

* reads the parameter card at every run (a changed setting acts at the next run),
* finds what is due with ONE set-based query served by a partial index of
  ``Chat`` / ``Attachment`` (see docs/timed-rules.md for each query and plan),
* changes it with conditional updates (``… WHERE <still due>``) under row locks
  taken with ``SKIP LOCKED``, so running it twice, or in two workers at the same
  moment, changes nothing the second time and writes one event, not two,
* returns how many chats (or files) it acted on.

Celery beat runs them through ``chat.tasks``; ``manage.py run_chat_rules`` runs
them once by hand.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings as django_settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from agents.models import Presence
from chat.models import Attachment, Chat, ChatEvent, ChatSettings, Message, NoReplyExclusion
from chat.services.chats import CLOSING_MESSAGES, system_text
from chat.services.files import attachments_expire, orphan_files_delete, storage_delete_files_on_commit

logger = logging.getLogger(__name__)

NO_REPLY_REASON = "no_reply"

W = Chat.Channel.WEBSITE
M = Chat.Channel.MESSENGER
I = Chat.Channel.INTERNAL  # noqa: E741
CHAT_TABLE = Chat._meta.db_table


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _dispatch(now: datetime | None) -> int:
    """Run dispatch right away (the rule already runs in a worker); a failure must not undo the rule."""
    from chat.services.dispatch import dispatch

    try:
        return dispatch(now=now)
    except Exception:  # pragma: no cover - logged; the periodic dispatch sweep is the safety net
        logger.exception("dispatch after a timed rule failed")
        return 0


def _retry_on_deadlock(fn: Callable[[], int], attempts: int = 3) -> int:
    for attempt in range(attempts):
        try:
            return fn()
        except DatabaseError as exc:
            cause = getattr(exc, "__cause__", None)
            if getattr(cause, "sqlstate", None) != "40P01" or attempt == attempts - 1:
                raise
            logger.warning("deadlock in a timed rule, retrying")
    return 0  # pragma: no cover


# --- the due conditions --------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A rule's "what is due" condition on the chat table: SQL over its own columns plus parameters.

    Written by hand (not compiled from Q objects each run) because the idle sweep runs every few seconds and
    the ORM compile of the six-branch inactivity condition cost more than the query itself (3 ms of CPU
    against 0.4 ms). Every branch is a range on a column of a partial index; docs/timed-rules.md has each.
    """

    where: str
    params: tuple

    def select(self, columns: str, *, lock: bool = False) -> tuple[str, list]:
        sql = f"SELECT {columns} FROM {CHAT_TABLE} WHERE {self.where}"
        if lock and connection.vendor == "postgresql":
            sql += " FOR UPDATE SKIP LOCKED"
        return sql, [_db(p) for p in self.params]

    def count(self) -> int:
        """The idle sweep's probe: one indexed query and no transaction when nothing is due.

        ``COUNT(*)``, not ``EXISTS … LIMIT 1``: the column statistics include the closed chats (their old
        ``page_closed_at``, ``queued_at`` …), so the planner expects thousands of matches and, with LIMIT 1,
        prefers a sequential scan that stops at the first one and reads the whole table when there is none.
        Without the LIMIT it uses the partial indexes.
        """
        sql, params = self.select("COUNT(*)")
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()[0]

    def rows(self, columns: str) -> list[tuple]:
        sql, params = self.select(columns)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())


def _db(value):
    return connection.ops.adapt_datetimefield_value(value) if isinstance(value, datetime) else value


# --- 1. close inactive chats -------------------------------------------------


def inactive_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Open chats over their inactivity limit; ``None`` when every timeout is 0 (off).

    Website, "page closed": COALESCE(page_closed_at, last_heartbeat_at + 90 s) <= now - timeout
    Website, "client's last message", and Messenger: COALESCE(last_client_message_at, created_at) <= …
    Internal: COALESCE(last_message_at, created_at) <= now - internal timeout
    each written as two sargable branches (``chat_open_*_idx``, partial over open chats).
    """
    branches: list[str] = []
    params: list = []
    hb = timedelta(seconds=django_settings.WIDGET_HEARTBEAT_TIMEOUT_SECONDS)

    def clock(channel: str, column: str, cutoff: datetime) -> None:
        branches.append(f"(channel = %s AND {column} <= %s)")
        branches.append(f"(channel = %s AND {column} IS NULL AND created_at <= %s)")
        params.extend([channel, cutoff, channel, cutoff])

    if card.inactivity_timeout_website:
        cutoff = now - timedelta(seconds=card.inactivity_timeout_website)
        if card.inactivity_counted_from == ChatSettings.InactivityFrom.PAGE_CLOSED:
            branches.append("(channel = %s AND page_closed_at <= %s)")
            branches.append("(channel = %s AND page_closed_at IS NULL AND last_heartbeat_at <= %s)")
            params.extend([W, cutoff, W, cutoff - hb])
        else:
            clock(W, "last_client_message_at", cutoff)
    if card.inactivity_timeout_messenger:
        clock(M, "last_client_message_at", now - timedelta(seconds=card.inactivity_timeout_messenger))
    if card.inactivity_timeout_internal:
        clock(I, "last_message_at", now - timedelta(seconds=card.inactivity_timeout_internal))
    if not branches:
        return None
    return Due(f"status <> %s AND ({' OR '.join(branches)})", (Chat.Status.CLOSED, *params))


def _lock_and_close(*, due: Due, now: datetime, reason: str) -> list[tuple]:
    """Close the due chats with one conditional UPDATE; returns (id, channel, agent_id, old status, queue_id)."""
    if connection.vendor == "postgresql":
        sql, params = due.select("id, status", lock=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH due AS ({sql}) "
                f"UPDATE {CHAT_TABLE} c "
                f"SET status = %s, closed_at = %s, close_reason = %s, awaiting_reply_since = NULL "
                f"FROM due WHERE c.id = due.id AND c.status <> %s "
                f"RETURNING c.id, c.channel, c.agent_id, due.status, c.queue_id",
                [*params, Chat.Status.CLOSED, now, reason, Chat.Status.CLOSED],
            )
            return list(cursor.fetchall())
    # SQLite (embedded demo): transactions take the write lock at BEGIN (IMMEDIATE), so read-then-update is safe.
    rows = due.rows("id, channel, agent_id, status, queue_id")
    if rows:
        Chat.objects.filter(pk__in=[r[0] for r in rows]).exclude(status=Chat.Status.CLOSED).update(
            status=Chat.Status.CLOSED, closed_at=now, close_reason=reason, awaiting_reply_since=None
        )
    return rows


def _closed_slots(closed: list[tuple]) -> Counter:
    """One slot per closed chat that held one: assigned customer chats (internal chats take none)."""
    return Counter(
        agent_id
        for _id, channel, agent_id, old_status, _queue_id in closed
        if agent_id and old_status == Chat.Status.ASSIGNED and channel != I
    )


def _free_slots(*, per_agent: Counter) -> None:
    """Give back ``per_agent[agent]`` slots to each agent, as ``free_slot`` does one at a time (never below 0),
    the Presence rows locked in ascending agent id (the project's lock order: chat rows first, then Presence)."""
    if not per_agent:
        return
    list(Presence.objects.filter(agent_id__in=per_agent).order_by("agent_id").select_for_update().values_list("pk"))
    by_count: dict[int, list[int]] = defaultdict(list)
    for agent_id, n in per_agent.items():
        by_count[n].append(agent_id)
    for n, agent_ids in by_count.items():
        Presence.objects.filter(agent_id__in=agent_ids).update(open_chats=Greatest(F("open_chats") - n, 0))


def chats_close_inactive(*, now: datetime | None = None) -> int:
    """Close every open chat over its inactivity limit (SPEC.md "Closing inactive chats").

    One ``UPDATE … WHERE <due> AND status <> 'closed' … RETURNING`` closes them
    (reason "inactivity"), then, in the same transaction, the agents' slots are
    freed (grouped per agent), and one system message and one CLOSED event per
    closed chat are bulk-inserted. Dispatch runs after commit.
    """
    now = _now(now)
    card = ChatSettings.load()
    due = inactive_due(card=card, now=now)
    if due is None or not due.count():  # every timeout 0 (off), or the idle sweep
        return 0

    def run() -> list:
        with transaction.atomic():
            closed = _lock_and_close(due=due, now=now, reason=Chat.CloseReason.INACTIVITY)
            if not closed:
                return []
            _free_slots(per_agent=_closed_slots(closed))
            text = system_text(CLOSING_MESSAGES[Chat.CloseReason.INACTIVITY])
            Message.objects.bulk_create(
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
                        data={"previous_status": old_status},
                    )
                    for cid, _channel, agent_id, old_status, queue_id in closed
                ],
                batch_size=2000,
            )
            return closed

    closed = _retry_on_deadlock(run)
    if closed:
        logger.info("closed %d inactive chats", len(closed))
        if any(old == Chat.Status.ASSIGNED and channel != I for _id, channel, _a, old, _q in closed):
            _dispatch(now)
    return len(closed)


# --- 2. transfer unanswered chats ----------------------------------------------


def unanswered_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Assigned customer chats whose client waits for an answer since
    GREATEST(awaiting_reply_since, assigned_at) <= now - X (``chat_awaiting_reply_idx``); None when X = 0."""
    if not card.no_reply_transfer_after:
        return None
    cutoff = now - timedelta(seconds=card.no_reply_transfer_after)
    return Due(
        "status = %s AND awaiting_reply_since IS NOT NULL AND awaiting_reply_since <= %s "
        "AND (assigned_at IS NULL OR assigned_at <= %s) AND channel <> %s",
        (Chat.Status.ASSIGNED, cutoff, cutoff, I),
    )


def _lock_and_requeue(*, due: Due, now: datetime) -> list[tuple]:
    """Put the due chats back in their queues with one conditional UPDATE, exactly as ``chat_requeue`` does
    (waiting, no agent, ``queued_at`` kept, ``agent_replied_at`` cleared; ``awaiting_reply_since`` kept so the
    next agent's clock starts at his assignment). Returns (id, agent_id, never answered, queue_id)."""
    if connection.vendor == "postgresql":
        sql, params = due.select("id, agent_id, agent_replied_at", lock=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH due AS ({sql}) "
                f"UPDATE {CHAT_TABLE} c SET status = %s, agent_id = NULL, assigned_at = NULL, "
                f"agent_replied_at = NULL, queued_at = COALESCE(c.queued_at, %s) "
                f"FROM due WHERE c.id = due.id AND c.status = %s AND c.agent_id = due.agent_id "
                f"RETURNING c.id, due.agent_id, due.agent_replied_at IS NULL, c.queue_id",
                [*params, Chat.Status.WAITING, now, Chat.Status.ASSIGNED],
            )
            return list(cursor.fetchall())
    rows = [(cid, a, replied is None, q) for cid, a, replied, q in due.rows("id, agent_id, agent_replied_at, queue_id")]
    if rows:
        Chat.objects.filter(pk__in=[r[0] for r in rows], status=Chat.Status.ASSIGNED).update(
            status=Chat.Status.WAITING, agent=None, assigned_at=None, agent_replied_at=None,
            queued_at=Coalesce(F("queued_at"), Value(now)),
        )
    return rows


def _pause_for_no_reply(*, agent_ids: set[int], pause_type_id: int, now: datetime) -> list[int]:
    """Parameter 4, as ``presence_pause`` does it (conditional update + PresenceEvent), for the agents who
    never answered; only an available agent is paused (one already on a pause, or logged out, keeps his state).
    The Presence rows are already locked by ``_free_slots``."""
    from agents.models import PresenceEvent

    paused = sorted(
        Presence.objects.filter(agent_id__in=agent_ids, logged_in=True, pause_type__isnull=True).values_list(
            "agent_id", flat=True
        )
    )
    if not paused:
        return []
    Presence.objects.filter(agent_id__in=paused, logged_in=True, pause_type__isnull=True).update(
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
    return paused


def chats_transfer_unanswered(*, now: datetime | None = None) -> int:
    """Take every chat whose client's message stayed unanswered for X seconds (counted from the
    later of the message and the assignment) from its agent (SPEC.md "Transfer on no reply").

    Set-based, in one transaction, with the invariants of ``chat_requeue(exclude_agent=True)`` and
    ``presence_pause`` (tests/chat/rules/test_same_invariants.py compares them): one conditional
    ``UPDATE … RETURNING`` puts the chats back to waiting keeping their queue time (head of the queue),
    the agents' slots are freed (Presence rows locked in agent order), each agent is excluded from his chat
    (NoReplyExclusion), a TRANSFERRED event (reason "no_reply") is written per chat, and an agent who never
    answered in his chat is put on parameter 4's pause (AGENT_PAUSED on that chat, PAUSED in his presence
    log). Dispatch then offers the chats to other eligible agents who have not had them.
    """
    now = _now(now)
    card = ChatSettings.load()
    due = unanswered_due(card=card, now=now)
    if due is None or not due.count():  # X = 0 (off), or the idle sweep
        return 0
    pause_type_id = card.no_reply_pause_type_id

    def run() -> list:
        with transaction.atomic():
            moved = _lock_and_requeue(due=due, now=now)
            if not moved:
                return []
            _free_slots(per_agent=Counter(agent_id for _cid, agent_id, _never, _q in moved if agent_id))
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
                    )
                    for cid, agent_id, _never, queue_id in moved
                ],
                batch_size=2000,
            )
            if pause_type_id:
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
            return moved

    moved = _retry_on_deadlock(run)
    if moved:
        logger.info("transferred %d unanswered chats", len(moved))
        _dispatch(now)
    return len(moved)


# --- 3. stop automatic assignment ---------------------------------------------


def halting_due(*, card: ChatSettings, now: datetime) -> Due | None:
    """Chats waiting (and still auto-assigned) for X hours or more (``chat_waiting_auto_idx``); None when X = 0."""
    if not card.stop_auto_assign_after_hours:
        return None
    return Due(
        "status = %s AND auto_assign_stopped_at IS NULL AND queued_at <= %s",
        (Chat.Status.WAITING, now - timedelta(hours=card.stop_auto_assign_after_hours)),
    )


def chats_stop_auto_assign(*, now: datetime | None = None) -> int:
    """Mark chats waiting longer than X hours (0 = never) as no longer auto-assigned.

    One ``UPDATE … WHERE status='waiting' AND auto_assign_stopped_at IS NULL AND queued_at <= cutoff``
    (``chat_waiting_auto_idx``) plus one AUTO_ASSIGN_STOPPED event per chat it changed. They stay waiting
    for a manual Assign.
    """
    now = _now(now)
    card = ChatSettings.load()
    due = halting_due(card=card, now=now)
    if due is None or not due.count():  # X = 0 (never), or the idle sweep
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            sql, params = due.select("id", lock=True)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH due AS ({sql}) UPDATE {CHAT_TABLE} c SET auto_assign_stopped_at = %s FROM due "
                    f"WHERE c.id = due.id AND c.status = %s AND c.auto_assign_stopped_at IS NULL "
                    f"RETURNING c.id, c.queue_id",
                    [*params, now, Chat.Status.WAITING],
                )
                rows = cursor.fetchall()
        else:
            rows = due.rows("id, queue_id")
            Chat.objects.filter(pk__in=[r[0] for r in rows], auto_assign_stopped_at__isnull=True).update(
                auto_assign_stopped_at=now
            )
        ChatEvent.objects.bulk_create(
            [
                ChatEvent(
                    chat_id=cid,
                    kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED,
                    created_at=now,
                    queue_id=queue_id,
                    data={"after_hours": card.stop_auto_assign_after_hours},
                )
                for cid, queue_id in rows
            ],
            batch_size=2000,
        )
    if rows:
        logger.info("stopped automatic assignment of %d chats", len(rows))
    return len(rows)


# --- 4. purge old closed chats -------------------------------------------------


def chats_purge_closed(*, now: datetime | None = None, batch_size: int = 2000) -> int:
    """Delete chats closed more than X days ago (0 = off) with their messages, events,
    exclusions, attachments and the attachments' files (removed from storage after commit).
    Open chats are never touched: the query reads closed chats only (``chat_closed_at_idx``)."""
    now = _now(now)
    card = ChatSettings.load()
    if not card.delete_chats_after_days:
        return 0
    cutoff = now - timedelta(days=card.delete_chats_after_days)
    if not Chat.objects.filter(status=Chat.Status.CLOSED, closed_at__lte=cutoff).exists():  # the idle sweep
        return 0
    total = 0
    while True:
        with transaction.atomic():
            due = Chat.objects.filter(status=Chat.Status.CLOSED, closed_at__lte=cutoff).order_by("closed_at")
            if connection.vendor == "postgresql":
                due = due.select_for_update(skip_locked=True, of=("self",))
            ids = list(due.values_list("id", flat=True)[:batch_size])
            if not ids:
                return total
            attachments = Attachment.objects.filter(message__chat_id__in=ids)
            names = list(attachments.exclude(file="").values_list("file", flat=True))
            attachments.delete()
            for model in (Message, ChatEvent, NoReplyExclusion):
                model.objects.filter(chat_id__in=ids)._raw_delete(model.objects.db)
            # Closed and still closed (locked): whatever else points at a chat is handled by Django's collector.
            Chat.objects.filter(pk__in=ids, status=Chat.Status.CLOSED).delete()
            storage_delete_files_on_commit(names=names)
        total += len(ids)
        logger.info("purged %d closed chats", len(ids))
        if len(ids) < batch_size:
            return total


# --- 5. expire attachments, 6. delete orphan files (the services live with the files) --------

__all__ = [
    "RULES",
    "attachments_expire",
    "chats_close_inactive",
    "chats_purge_closed",
    "chats_stop_auto_assign",
    "chats_transfer_unanswered",
    "dispatch_sweep",
    "orphan_files_delete",
    "messenger_outbox_sweep",
]


def dispatch_sweep(*, now: datetime | None = None) -> int:
    """The safety net: a periodic dispatch of whatever can be assigned."""
    from chat.services.dispatch import dispatch

    return dispatch(now=now)


def messenger_outbox_sweep(*, now: datetime | None = None) -> int:
    """The Messenger outbox's safety net (chat/messenger/outbox.py)."""
    from chat.messenger.outbox import messenger_outbox_sweep as sweep

    return sweep(now=now)


# name -> (service, what its number means); used by run_chat_rules and the docs.
RULES: dict[str, tuple[Callable[..., int], str]] = {
    "transfer_unanswered": (chats_transfer_unanswered, "chats transferred for no reply"),
    "close_inactive": (chats_close_inactive, "inactive chats closed"),
    "stop_auto_assign": (chats_stop_auto_assign, "chats no longer auto-assigned"),
    "expire_attachments": (attachments_expire, "attachments expired"),
    "purge_closed": (chats_purge_closed, "closed chats deleted"),
    "delete_orphan_files": (orphan_files_delete, "orphan files removed"),
    "dispatch": (dispatch_sweep, "chats assigned by the sweep"),
    "messenger_outbox": (messenger_outbox_sweep, "Messenger replies queued again or left unconfirmed"),
}

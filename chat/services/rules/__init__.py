"""Timed rules (SPEC.md "The rules", DESIGN.md "Timed rules"), one module per rule.

Each rule is one function taking ``now=None`` that

* reads the parameter card at every run (a changed setting acts at the next run),
* finds what is due with ONE set-based query served by a partial index of
  ``Chat`` / ``Attachment`` (see docs/timed-rules.md for each query and plan),
* changes it with conditional updates (``… WHERE <still due>``) under row locks
  taken with ``SKIP LOCKED`` (``base.lock_due_update``), so running it twice, or in two
  workers at the same moment, changes nothing the second time and writes one event, not two,
* returns how many chats (or files) it acted on.

Celery beat runs them through ``chat.tasks``; ``manage.py run_chat_rules`` runs them once by hand, from
``RULES``; both through ``rule_run``, which times each run and counts what it changed (docs/operations.md,
"Metrics"). A rule of a way in (the Messenger outbox sweep) is added to ``RULES`` by ``rule_register`` from
``chat.apps.ChatConfig.ready``: the services do not import the ways in above them.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from core.metrics.instruments import RULE_DURATION, RULE_ROWS

from ..dispatch import dispatch
from ..emails import offline_emails_sweep
from .close_inactive import chats_close_inactive, inactive_due
from .expire_attachments import attachments_expire
from .follow_inbox import REQUEUE_NO_INBOX, presence_follow_inbox, silent_agents
from .orphan_files import ORPHAN_FILE_GRACE, orphan_files_delete
from .purge_closed import chats_purge_closed
from .release_held import chats_release_held
from .stop_auto_assign import chats_stop_auto_assign, halting_due
from .transfer_unanswered import NO_REPLY_REASON, chats_transfer_unanswered, unanswered_due, unanswered_transfer_at

__all__ = [
    "NO_REPLY_REASON",
    "ORPHAN_FILE_GRACE",
    "REQUEUE_NO_INBOX",
    "RULES",
    "attachments_expire",
    "chats_close_inactive",
    "chats_purge_closed",
    "chats_release_held",
    "chats_stop_auto_assign",
    "chats_transfer_unanswered",
    "dispatch_sweep",
    "halting_due",
    "inactive_due",
    "orphan_files_delete",
    "presence_follow_inbox",
    "rule_register",
    "rule_run",
    "silent_agents",
    "unanswered_due",
    "unanswered_transfer_at",
]


def dispatch_sweep(*, now: datetime | None = None) -> int:
    """The safety net: a periodic dispatch of whatever can be assigned."""
    return dispatch(now=now)


# name -> (service, what its number means), in schedule order; used by run_chat_rules and the docs.
RULES: dict[str, tuple[Callable[..., int], str]] = {
    "transfer_unanswered": (chats_transfer_unanswered, "chats transferred for no reply"),
    "follow_inbox": (presence_follow_inbox, "agents without an open inbox paused or logged out"),
    "close_inactive": (chats_close_inactive, "inactive chats closed"),
    "stop_auto_assign": (chats_stop_auto_assign, "chats no longer auto-assigned"),
    "expire_attachments": (attachments_expire, "attachments expired"),
    "purge_closed": (chats_purge_closed, "closed chats deleted"),
    "delete_orphan_files": (orphan_files_delete, "orphan files removed"),
    "release_held": (chats_release_held, "chats held for business hours queued at the opening"),
    "dispatch": (dispatch_sweep, "chats assigned by the sweep"),
    "offline_emails": (offline_emails_sweep, "offline message e-mails queued again or given back"),
}


def rule_run(name: str, **kwargs) -> int:
    """Run the timed rule ``name`` of ``RULES`` once: its number, with the run's duration and that number recorded
    (``parley_rule_duration_seconds{rule}``, ``parley_rule_rows_total{rule}``)."""
    service, _meaning = RULES[name]
    started = time.perf_counter()
    try:
        rows = service(**kwargs)
    finally:
        RULE_DURATION.labels(rule=name).observe(time.perf_counter() - started)
    RULE_ROWS.labels(rule=name).inc(max(0, int(rows or 0)))
    return rows


def rule_register(name: str, service: Callable[..., int], meaning: str) -> None:
    """Add a timed rule that lives above the services (a way in's sweep), after the chat rules."""
    RULES[name] = (service, meaning)

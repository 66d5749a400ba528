"""The state changes of SPEC.md, each defined once: the fields it sets and its guard.

Every path that makes one of these changes uses this definition: the services through the ORM
(``Chat.objects.filter(…).update(**ASSIGN.orm(agent=…, now=…))``), dispatch's statement and the timed rules'
set-based updates in SQL (``ASSIGN.sql("c", agent=…)``). See ``core.conditions`` for the mechanics.
"""

from __future__ import annotations

from core.conditions import Keep, LaterOf, MinusAtLeastZero, P, Plus, Transition, Where

from .chats import Chat
from .conditions import HELD_FOR_HOURS, OPEN, WAITING

# waiting -> assigned to ``agent``. A client message still unanswered keeps ``awaiting_reply_since`` (the no-reply
# rule then counts from the assignment); the new agent has neither replied nor read. The guard decides a race
# between claims; a transfer from one agent to another (the chat locked, its state checked) sets the same fields.
ASSIGN = Transition(
    "assign",
    when=WAITING,
    sets={
        "status": Chat.Status.ASSIGNED,
        "agent_id": P("agent"),
        "assigned_at": P("now"),
        "first_assigned_at": Keep("first_assigned_at", P("now")),
        "agent_replied_at": None,
        "agent_read_at": None,
        # A person may take a chat held for business hours before the opening: it is no longer held (else a
        # requeue would bring it back held, out of dispatch's reach).
        "hours_held_at": None,
    },
)

# assigned -> waiting at the head of its queue: no agent, the queue time kept (set to ``now`` if it had none).
# ``awaiting_reply_since`` stays, so that the next agent's no-reply clock starts at his assignment.
REQUEUE = Transition(
    "requeue",
    when=Where(status=Chat.Status.ASSIGNED),
    sets={
        "status": Chat.Status.WAITING,
        "agent_id": None,
        "assigned_at": None,
        "agent_replied_at": None,
        "queued_at": Keep("queued_at", P("now")),
    },
)

# open -> closed with a reason; the agent stays for the history; nobody awaits a reply any more.
CLOSE = Transition(
    "close",
    when=OPEN,
    sets={
        "status": Chat.Status.CLOSED,
        "closed_at": P("now"),
        "close_reason": P("reason"),
        "awaiting_reply_since": None,
    },
)

# Parameter 13: a chat waiting too long is left for a manual Assign (it stays waiting).
STOP_AUTO_ASSIGN = Transition(
    "stop automatic assignment",
    # A chat held for business hours is not waiting for an agent yet: its wait starts at the opening.
    when=Where(status=Chat.Status.WAITING, auto_assign_stopped_at__isnull=True, hours_held_at__isnull=True),
    sets={"auto_assign_stopped_at": P("now")},
)

# Business hours: a waiting chat of a closed queue is held (dispatch leaves it) until the queue opens ...
HOLD_FOR_HOURS = Transition(
    "hold for business hours",
    when=Where(status=Chat.Status.WAITING, hours_held_at__isnull=True),
    sets={"hours_held_at": P("now")},
)
# ... and then queued like a chat that has just come: its queue time is the opening (``P("opening")``: the moment
# the queue opened, not the rule's run, so that a late run does not put them behind chats written after the opening;
# never before the chat was held, should the schedule have been edited since). Among themselves they keep the order
# they were written in, the chat order's last key being the id.
RELEASE_AT_OPENING = Transition(
    "queue at the opening", when=HELD_FOR_HOURS,
    sets={"hours_held_at": None, "queued_at": LaterOf("hours_held_at", P("opening"))},
)

# Presence: one more open chat for the agent. Its guard is the caller's: ``available_with_free_slot()`` for
# dispatch, ``LOGGED_IN_WITH_FREE_SLOT`` for a person's assignment or transfer.
TAKE_SLOT = Transition("take a slot", sets={"open_chats": Plus("open_chats", 1), "last_assigned_at": P("now")})

# Presence: ``n`` open chats fewer, never below zero.
FREE_SLOTS = Transition(
    "free slots", when=Where(open_chats__gt=0), sets={"open_chats": MinusAtLeastZero("open_chats", P("n"))}
)

# Attachment: past its download hours, the file is retired (its stored name cleared; the row stays).
RETIRE_FILE = Transition(
    "retire a file", when=Where(expired_at__isnull=True), sets={"expired_at": P("now"), "file": ""}
)

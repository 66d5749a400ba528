"""The conditions of SPEC.md that services (through the ORM) and statements (in SQL) both test, each defined
once (``core.conditions``: ``.q()`` for the ORM, ``.sql(alias)`` for statements, ``.holds(row)`` for a row
already read). tests/chat/services/test_conditions.py checks that the ORM and SQL select the same rows.

The one condition of the agents app, "built-in pause type", lives with its model
(``agents.models.BUILT_IN_PAUSE_TYPE``).
"""

from __future__ import annotations

from psycopg import sql

from core.conditions import P, Spelled, Where, column

from .chats import OPEN as OPEN  # anything but closed: defined with the model, whose partial indexes are over it
from .chats import Chat

# --- chats ---------------------------------------------------------------------------------------------

WAITING = Where(status=Chat.Status.WAITING)
# An assigned customer chat takes one of its agent's slots (``Presence.open_chats``); internal chats take none.
HOLDS_SLOT = Where(status=Chat.Status.ASSIGNED, channel__ne=Chat.Channel.INTERNAL)
# What dispatch may give to an agent: waiting, automatic assignment not stopped, not held for business hours, a
# customer's chat.
DISPATCHABLE_CHAT = Where(
    status=Chat.Status.WAITING,
    auto_assign_stopped_at__isnull=True,
    hours_held_at__isnull=True,
    channel__ne=Chat.Channel.INTERNAL,
)
# Held for business hours: what the release rule queues when the queue opens.
HELD_FOR_HOURS = Where(status=Chat.Status.WAITING, hours_held_at__isnull=False)

# A chat the visitor may still rate (docs/ratings.md): a closed customer chat without a rating. The guard of
# ``chat_rate``'s conditional update: of two ratings at once, one is stored.
RATEABLE = Where(status=Chat.Status.CLOSED, rating__isnull=True, channel__ne=Chat.Channel.INTERNAL)

# --- agents: the Presence row and the user ------------------------------------------------------------

# A supervisor's assignment over the maximum (``take_slot_over_max``): only logged in.
LOGGED_IN = Where(logged_in=True)
# A manual assignment's guard (a pause or a phone call does not stop a person's decision).
LOGGED_IN_WITH_FREE_SLOT = Where(logged_in=True, open_chats__lt=P("max"))
# Could take one more chat (SPEC.md "Available and eligible", the Presence row's part); the capacity guard of
# every automatic claim. Parameter 6 adds "off the phone": ``available_with_free_slot()``.
AVAILABLE_WITH_FREE_SLOT = Where(logged_in=True, pause_type_id__isnull=True, open_chats__lt=P("max"))
OFF_THE_PHONE = Where(on_phone_call=False)
# A user who may be given chats at all is the agents app's own condition, defined with the user:
# ``agents.models.ACTIVE_AGENT``.


def available_with_free_slot(*, allow_phone_call: bool):
    """``AVAILABLE_WITH_FREE_SLOT``, and off the phone unless parameter 6 allows a call."""
    return AVAILABLE_WITH_FREE_SLOT if allow_phone_call else AVAILABLE_WITH_FREE_SLOT & OFF_THE_PHONE


# --- files ---------------------------------------------------------------------------------------------

# Past its download hours at ``now`` (retired by the rule or not yet): a download is refused (410 Gone).
EXPIRED_FILE = Where(expired_at__isnull=False) | Where(expires_at__lte=P("now"))
# Expired and not yet retired: what the expiry rule retires (``attachment_due_idx``).
EXPIRY_DUE = Where(expired_at__isnull=True, expires_at__lte=P("now"))

# --- the client's previous agent ---------------------------------------------------------------------

# The identities that tell a client's earlier chats (any one is enough); an empty string is no identity.
CLIENT_IDENTITIES = ("customer_id", "visitor_email", "visitor_messenger_id", "visitor_key")
# An earlier chat with an agent, relative to the chat ``P("chat")`` created at ``P("created_at")``. "Has an
# agent" is written ``COALESCE(agent_id, 0) <> 0`` in SQL so that no plan walks the agent_id index instead
# (it looks cheap while the statistics say few chats have an agent, and is not).
EARLIER_CHAT_WITH_AGENT = Spelled(Where(agent_id__isnull=False), "COALESCE({agent_id}, 0) <> 0") & Where(
    created_at__lte=P("created_at"), id__ne=P("chat"), channel__ne=Chat.Channel.INTERNAL
)


def same_client(identity: str) -> Where:
    """A chat of the client with this identity (``P(identity)``: the identity's value)."""
    return Where(**{identity: P(identity)})


def previous_agent_sql(row: str) -> sql.Composable:
    """The previous agent of the chat row ``row`` (an alias), as a scalar subquery: the agent of the client's
    most recent earlier chat (``same_client(identity) & EARLIER_CHAT_WITH_AGENT`` for any identity; the latest
    ``created_at``, then the highest id). One branch per identity, each an index walk on (identity,
    -created_at); the latest wins. Portable SQL (PostgreSQL and SQLite)."""
    branches = []
    for n, identity in enumerate(CLIENT_IDENTITIES):
        earlier = same_client(identity) & EARLIER_CHAT_WITH_AGENT
        condition = earlier.sql(
            "e", **{identity: column(row, identity)}, created_at=column(row, "created_at"), chat=column(row, "id")
        )
        if identity != "customer_id":  # NULL fails the equality anyway; an empty string must be refused
            condition = sql.SQL("{} AND {}").format(condition, Where(**{f"{identity}__ne": ""}).sql(row))
        branches.append(
            sql.SQL(
                "SELECT * FROM (SELECT e.agent_id, e.created_at, e.id FROM {chat} e\n"
                "                WHERE {condition}\n"
                "                ORDER BY 2 DESC, 3 DESC LIMIT 1) AS {name}"
            ).format(chat=sql.Identifier(Chat._meta.db_table), condition=condition, name=sql.SQL(f"b{n}"))
        )
    return sql.SQL(
        "(SELECT x.agent_id FROM (\n            {}\n        ) x ORDER BY x.created_at DESC, x.id DESC LIMIT 1)"
    ).format(sql.SQL("\n            UNION ALL ").join(branches))

"""Low-level steps shared by dispatch and the chat services (not a public contract).

The two guards of the routing invariant live here:

* ``take_slot`` — the capacity guard: one conditional
  ``UPDATE presence SET open_chats = open_chats + 1 WHERE agent_id = X AND open_chats < max AND logged_in ...``.
  Every condition is on the updated row itself, so under READ COMMITTED a writer
  that waited for the row lock re-checks them against the committed row; zero
  rows means refused.
* the chat claim — callers lock the chat row (``SELECT … FOR UPDATE [SKIP LOCKED]``)
  and check ``status = 'waiting'`` before calling ``mark_assigned``.

Both happen in the caller's transaction, so a chat and its agent's counter always
change together. Lock order everywhere: the chat row first, then Presence rows in
ascending agent id.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from agents.models import Presence, User
from chat.models import Chat, ChatEvent, ChatSettings, Message
from chat.routing.agent_chain import available_sql

from .errors import ChatError


def take_slot(
    *, agent_id: int, max_chats: int, now: datetime, require_available: bool = True, allow_phone_call: bool = True
) -> bool:
    """Capacity guard: count one more open chat for the agent if he may take it. False = refused."""
    qs = Presence.objects.filter(agent_id=agent_id, logged_in=True, open_chats__lt=max_chats)
    if require_available:
        qs = qs.filter(pause_type__isnull=True)
    if not allow_phone_call:
        qs = qs.filter(on_phone_call=False)
    return qs.update(open_chats=F("open_chats") + 1, last_assigned_at=now) == 1


_CLAIM_SQL = """
WITH slot AS (
    UPDATE {presence} SET open_chats = open_chats + 1, last_assigned_at = %(now)s
    WHERE agent_id = %(agent)s AND {available}
    {nowait}
    RETURNING agent_id
), claim AS (
    UPDATE {chat} SET status = 'assigned', agent_id = slot.agent_id, assigned_at = %(now)s, agent_replied_at = NULL,
        agent_read_at = NULL
    FROM slot WHERE {chat}.id = %(chat_id)s AND {chat}.status = 'waiting'
    RETURNING {chat}.id
)
INSERT INTO {event} (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data)
SELECT claim.id, 'assigned', %(now)s, %(agent)s, %(queue)s, %(strategy)s, '', %(data)s FROM claim {async_commit}
RETURNING id
"""
# Only when nobody else is assigning to this agent right now (his row is not locked).
_NOWAIT = "AND agent_id IN (SELECT agent_id FROM {presence} WHERE agent_id = %(agent)s FOR UPDATE SKIP LOCKED)"
# This transaction's commit does not wait for the WAL flush (see docs/routing.md, "Asynchronous commit").
_ASYNC_COMMIT = ", (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit"


def claim_for_agent(
    *, chat_id: int, agent_id: int, queue_id: int | None, strategy: str, max_chats: int, allow_phone_call: bool,
    now: datetime, wait: bool = True, async_commit: bool = False,
) -> bool:
    """Dispatch's assignment: capacity guard + chat claim + ASSIGNED event, all or nothing.

    On PostgreSQL it is one statement (data-modifying CTEs): the agent's row is
    locked only from this statement to the commit that follows it, which keeps
    processes that want the same agent waiting as briefly as possible. The
    conditions are those of ``take_slot`` and ``status = 'waiting'``. Elsewhere
    (SQLite in the embedded demo, which serialises writers anyway) the same three
    steps through the ORM. False = the guard refused (or, with ``wait=False``, another
    transaction is assigning to this agent right now); nothing was written.
    """
    if connection.vendor == "postgresql":
        sql = _CLAIM_SQL.format(
            presence=Presence._meta.db_table, chat=Chat._meta.db_table, event=ChatEvent._meta.db_table,
            available=available_sql(allow_phone_call=allow_phone_call, alias=""),
            nowait="" if wait else _NOWAIT.format(presence=Presence._meta.db_table),
            async_commit=_ASYNC_COMMIT if async_commit else "",
        )
        params = {"now": now, "agent": agent_id, "max": max_chats, "chat_id": chat_id, "queue": queue_id,
                  "strategy": strategy, "data": json.dumps({})}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchone() is not None
    if not take_slot(agent_id=agent_id, max_chats=max_chats, now=now, allow_phone_call=allow_phone_call):
        return False
    mark_assigned(chat_id=chat_id, agent_id=agent_id, now=now)
    record_assigned(chat_id=chat_id, agent_id=agent_id, queue_id=queue_id, strategy=strategy, now=now)
    return True


def free_slot(*, agent_id: int | None) -> None:
    """One open chat fewer for the agent (never below zero)."""
    if agent_id is not None:
        Presence.objects.filter(agent_id=agent_id, open_chats__gt=0).update(open_chats=F("open_chats") - 1)


def mark_assigned(*, chat_id: int, agent_id: int, now: datetime) -> None:
    """The chat row of an assignment: a client message still unanswered keeps ``awaiting_reply_since``."""
    Chat.objects.filter(pk=chat_id).update(
        status=Chat.Status.ASSIGNED, agent_id=agent_id, assigned_at=now, agent_replied_at=None,
        agent_read_at=None
    )


def record_assigned(
    *, chat_id: int, agent_id: int, queue_id: int | None, strategy: str, now: datetime, actor=None, data=None
) -> ChatEvent:
    return ChatEvent.objects.create(
        chat_id=chat_id,
        kind=ChatEvent.Kind.ASSIGNED,
        agent_id=agent_id,
        queue_id=queue_id,
        strategy=strategy,
        actor=actor,
        created_at=now,
        data=data or {},
    )


def send_welcome(*, chat_id: int, when: str, card: ChatSettings, now: datetime) -> Message | None:
    """The welcome message (parameter 9) at the configured moment, once per chat.

    ``welcome_sent_at`` is set by a conditional update, so two callers at once
    write one message. A system message never touches the activity fields.
    """
    if card.welcome_message_when != when or not (card.welcome_message_text or "").strip():
        return None
    if not Chat.objects.filter(pk=chat_id, welcome_sent_at__isnull=True).update(welcome_sent_at=now):
        return None
    message = Message.objects.create(
        chat_id=chat_id, sender=Message.Sender.SYSTEM, body=card.welcome_message_text, created_at=now
    )
    ChatEvent.objects.create(chat_id=chat_id, kind=ChatEvent.Kind.WELCOME_SENT, created_at=now)
    return message


def get_agent(agent_id, *, field: str = "agent") -> User:
    try:
        return User.objects.get(pk=int(agent_id), is_active=True)
    except (User.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such agent."), field=field, code="unknown_agent")


def refuse_slot(*, agent: User, max_chats: int, field: str = "agent") -> ChatError:
    """Explain why ``take_slot`` refused a manual assignment."""
    presence = Presence.objects.filter(agent_id=agent.pk).first()
    if presence is None or not presence.logged_in:
        return ChatError(
            _("%(agent)s is logged out and cannot take chats."),
            field=field,
            code="agent_logged_out",
            params={"agent": agent.display_name},
        )
    return ChatError(
        _("%(agent)s already has the maximum of %(max)d open chats."),
        field=field,
        code="agent_full",
        params={"agent": agent.display_name, "max": max_chats},
    )

"""Low-level steps shared by dispatch and the chat services (not a public contract).

The two guards of the routing invariant, through the ORM (dispatch speaks the same definitions in SQL:
``chat.models.transitions``, ``chat.models.conditions``):

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

from datetime import datetime

from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, Presence, User
from chat.models import Chat, ChatEvent, ChatSettings, Message
from chat.models.conditions import LOGGED_IN, LOGGED_IN_WITH_FREE_SLOT, available_with_free_slot
from chat.models.transitions import ASSIGN, FREE_SLOTS, TAKE_SLOT

from .errors import ChatError
from .live.publish import live_message


def take_slot(
    *, agent_id: int, max_chats: int, now: datetime, require_available: bool = True, allow_phone_call: bool = True
) -> bool:
    """Capacity guard: count one more open chat for the agent if he may take it (``TAKE_SLOT`` where
    ``available_with_free_slot``, or for a person's decision ``LOGGED_IN_WITH_FREE_SLOT``). False = refused."""
    guard = (
        available_with_free_slot(allow_phone_call=allow_phone_call) if require_available else LOGGED_IN_WITH_FREE_SLOT
    )
    return Presence.objects.filter(guard.q(max=max_chats), agent_id=agent_id).update(**TAKE_SLOT.orm(now=now)) == 1


def take_slot_over_max(*, agent_id: int, now: datetime) -> bool:
    """A supervisor's override of the maximum (chat.services.supervision): one more open chat for a logged-in agent
    whatever his count (``TAKE_SLOT`` where ``LOGGED_IN``). The counter may then pass the maximum; every automatic
    claim still requires ``open_chats < max``, so dispatch gives him nothing until he is below it again. False =
    refused (he is logged out)."""
    return Presence.objects.filter(LOGGED_IN.q(), agent_id=agent_id).update(**TAKE_SLOT.orm(now=now)) == 1


def free_slot(*, agent_id: int | None) -> None:
    """One open chat fewer for the agent (never below zero)."""
    if agent_id is not None:
        Presence.objects.filter(FREE_SLOTS.when.q(), agent_id=agent_id).update(**FREE_SLOTS.orm(n=1))


def mark_assigned(*, chat_id: int, agent_id: int, now: datetime) -> None:
    """The chat row of an assignment (``ASSIGN``); the caller holds the chat locked and has checked it."""
    Chat.objects.filter(pk=chat_id).update(**ASSIGN.orm(agent=agent_id, now=now))


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


def send_welcome(
    *, chat_id: int, when: str, card: ChatSettings, now: datetime, agent_id: int | None = None
) -> Message | None:
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
    live_message(chat_id=chat_id, message_id=message.pk, sender=message.sender, agents=[agent_id])
    return message


def get_agent(agent_id, *, field: str = "agent") -> User:
    try:
        return User.objects.filter(ACTIVE_AGENT.q()).get(pk=int(agent_id))
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

"""A supervisor's actions on the floor (issue 15, point 2; docs/supervisor.md): assign or reassign any chat to any
agent (over the maximum only when he says so), pause or log out an agent, join a chat silently, whisper to its
agent, take it over.

A supervisor is a staff user (``permissions.check_supervise``); anybody else gets ChatError(code="forbidden"),
with nothing written. Each action is one service built on the ones that do the same for everybody
(``chats.handover``'s steps, the presence services, ``message_post``): the same locks (the chat row first, then
Presence rows in ascending agent id), one transaction, live events after the commit, and an audit record naming
the supervisor as its ``actor``: a ChatEvent for a chat, a PresenceEvent (reason "supervisor") for an agent.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Presence, User
from agents.services import presence_get, presence_login, presence_logout, presence_pause
from chat.models import Chat, ChatEvent, Message
from core.errors import ApplicationError

from .chats.common import check_customer_chat, closed_error, lock_chat
from .chats.handover import assign_locked, transfer_to_agent_locked
from .dispatch import dispatch_soon
from .errors import ChatError
from .messages import message_post
from .permissions import check_supervise

# The reason on the records of a supervisor's action: TRANSFERRED of a reassignment, PresenceEvent of a pause or a
# log-out; TAKEN_OVER's "taken_over"; a take-over that had to log the supervisor in says so on his LOGGED_IN.
SUPERVISOR_REASON = "supervisor"
TAKE_OVER_REASON = "taken_over"


def _check_supervised(chat: Chat) -> None:
    """Watching and whispering apply to an open customer chat."""
    if chat.status == Chat.Status.CLOSED:
        raise closed_error()
    if chat.channel == Chat.Channel.INTERNAL:
        raise ChatError(_("Internal chats are not supervised."), field="chat", code="internal")


def supervisor_assign(*, chat_id, agent_id, actor: User, override_capacity: bool = False) -> Chat:
    """Give a waiting chat to the agent, or move an assigned chat to him (a transfer with reason "supervisor").

    The rules of a person's assignment apply (``chat_assign``, ``chat_transfer``): the agent must be logged in
    and below the maximum; a pause, a phone call, queue membership and a no-reply exclusion do not stop it. With
    ``override_capacity`` a full agent takes it all the same: his ``open_chats`` passes the maximum, the events
    say ``data["capacity_overridden"] = True``, and dispatch gives him nothing more until he is below it again
    (its guard is ``open_chats < max``). The chat returned says so (``chat.capacity_overridden``). Events: ASSIGNED
    (manual, ``data["supervisor"]``), and TRANSFERRED (reason "supervisor", ``from_agent``) for a reassignment; the
    actor on each."""
    check_supervise(actor=actor)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        check_customer_chat(chat)
        if chat.status == Chat.Status.WAITING:
            overridden = assign_locked(
                chat, agent_id=agent_id, actor=actor, override_capacity=override_capacity, data={"supervisor": True}
            )
        else:
            overridden = transfer_to_agent_locked(
                chat, to_agent_id=agent_id, old_agent_id=chat.agent_id, actor=actor, now=timezone.now(),
                reason=SUPERVISOR_REASON, override_capacity=override_capacity, data={"supervisor": True},
            )
            dispatch_soon(queue_id=chat.queue_id)  # the previous agent has a slot free
    chat.refresh_from_db()
    chat.capacity_overridden = overridden
    return chat


def supervisor_pause_agent(*, agent_id, pause_type_id, actor: User) -> Presence:
    """Put a logged-in agent on a pause of this type (``presence_pause``: his chats stay with him); PresenceEvent
    PAUSED with the supervisor as actor and reason "supervisor". Logged out: refused (code "logged_out")."""
    check_supervise(actor=actor)
    return presence_pause(agent_id=agent_id, pause_type_id=pause_type_id, actor=actor, reason=SUPERVISOR_REASON)


def supervisor_logout_agent(*, agent_id, actor: User) -> Presence:
    """Log an agent out (``presence_logout``): PresenceEvent LOGGED_OUT with the supervisor as actor and reason
    "supervisor"; his open customer chats then go back to the head of their queues (TRANSFERRED "agent_logged_out",
    actor the supervisor) and are dispatched to others. Already logged out: refused (code "logged_out")."""
    check_supervise(actor=actor)
    presence = presence_get(agent_id=agent_id)
    if not presence.logged_in:
        raise ApplicationError(
            _("%(agent)s is already logged out."), field="agent", code="logged_out",
            params={"agent": presence.agent.display_name},
        )
    return presence_logout(agent_id=agent_id, actor=actor, reason=SUPERVISOR_REASON)


def supervisor_join(*, chat_id, actor: User) -> ChatEvent:
    """Watch an open customer chat silently: SUPERVISOR_JOINED (actor: him, agent: the chat's agent then), once
    per supervisor and chat (joining again returns the first record and writes nothing). Nobody is told: no
    message, no live event; the visitor never learns of it, nor does the agent (docs/supervisor.md). Staff may open
    any chat in the inbox anyway (``chats_visible_to``); the record is the audit of who watched."""
    check_supervise(actor=actor)
    with transaction.atomic():
        chat = lock_chat(chat_id)  # two joins at once: the second waits, then finds the first
        _check_supervised(chat)
        event = ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.SUPERVISOR_JOINED, actor=actor).first()
        if event is None:
            event = ChatEvent.objects.create(
                chat=chat, kind=ChatEvent.Kind.SUPERVISOR_JOINED, actor=actor, agent_id=chat.agent_id,
                queue_id=chat.queue_id, created_at=timezone.now(),
            )
    return event


def supervisor_whisper(*, chat_id, actor: User, body: str) -> Message:
    """A private note from the supervisor to the chat's agent (``message_post`` with sender "note", author him):
    the agents see it in the chat, live, and it counts as unread for the agent; the visitor never does (the widget,
    Messenger and the transcript read ``Message.objects.for_visitor()``). WHISPERED records it (actor: him, agent:
    the chat's agent, ``data["message"]``). Only an assigned chat has an agent to whisper to."""
    check_supervise(actor=actor)
    body = (body or "").strip()
    if not body:
        raise ChatError(_("Write what to whisper to the agent."), field="body", code="required")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        _check_supervised(chat)
        if chat.status != Chat.Status.ASSIGNED:
            raise ChatError(
                _("This chat has no agent to whisper to yet: assign it or take it over."), field="chat",
                code="not_assigned",
            )
        message = message_post(chat_id=chat.pk, sender=Message.Sender.NOTE, body=body, author=actor)
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.WHISPERED, actor=actor, agent_id=chat.agent_id, queue_id=chat.queue_id,
            created_at=message.created_at, data={"message": message.pk},
        )
    return message


def supervisor_take_over(*, chat_id, actor: User, override_capacity: bool = False) -> Chat:
    """The supervisor becomes the chat's agent: his slot taken (the maximum applies unless
    ``override_capacity``), the previous agent's freed, TAKEN_OVER (``from_agent`` the previous agent, ``agent``
    and actor him) and ASSIGNED (manual), and, as at a transfer, the system line "You are now talking with <his
    first name>." A waiting chat is simply assigned to him (ASSIGNED and TAKEN_OVER without ``from_agent``).

    He must be logged in to hold a chat (the log-out rule frees every chat of a logged-out agent); a supervisor who
    is not is logged in here, in the same transaction (PresenceEvent LOGGED_IN, reason "taken_over"), and from then
    on is an agent like the others: dispatch may give him chats of the queues he is a member of, until he pauses.
    """
    check_supervise(actor=actor)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        check_customer_chat(chat)
        old_agent_id = chat.agent_id if chat.status == Chat.Status.ASSIGNED else None
        if old_agent_id == actor.pk:
            raise ChatError(_("This chat is already yours."), field="chat", code="same_agent")
        presence_get(agent_id=actor.pk)  # his row exists before it is locked
        # Presence rows in ascending agent id (the global lock order), before his log-in writes his.
        list(
            Presence.objects.select_for_update()
            .filter(agent_id__in=[pk for pk in (actor.pk, old_agent_id) if pk is not None])
            .order_by("agent_id")
            .values_list("agent_id", flat=True)
        )
        if not Presence.objects.filter(agent_id=actor.pk, logged_in=True).exists():
            presence_login(agent_id=actor.pk, actor=actor, reason=TAKE_OVER_REASON)
        now = timezone.now()
        if old_agent_id is None:
            overridden = assign_locked(chat, agent_id=actor.pk, actor=actor, override_capacity=override_capacity)
        else:
            overridden = transfer_to_agent_locked(
                chat, to_agent_id=actor.pk, old_agent_id=old_agent_id, actor=actor, now=now, reason=TAKE_OVER_REASON,
                kind=ChatEvent.Kind.TAKEN_OVER, override_capacity=override_capacity,
            )
            dispatch_soon(queue_id=chat.queue_id)  # the previous agent has a slot free
        if old_agent_id is None:
            ChatEvent.objects.create(
                chat=chat, kind=ChatEvent.Kind.TAKEN_OVER, actor=actor, agent=actor, queue_id=chat.queue_id,
                reason=TAKE_OVER_REASON, created_at=now,
                data={"capacity_overridden": True} if overridden else {},
            )
    chat.refresh_from_db()
    chat.capacity_overridden = overridden
    return chat


__all__ = [
    "SUPERVISOR_REASON",
    "TAKE_OVER_REASON",
    "supervisor_assign",
    "supervisor_join",
    "supervisor_logout_agent",
    "supervisor_pause_agent",
    "supervisor_take_over",
    "supervisor_whisper",
]

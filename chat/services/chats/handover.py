"""Who holds a chat: a person assigns it, transfers it (to an agent or back to a queue), it is put back in its
queue (log-out, the no-reply rule), and its agent marks it read."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import User
from chat.models import Chat, ChatEvent, ChatSettings, Message, NoReplyExclusion
from chat.models.strategies import MANUAL
from chat.models.transitions import REQUEUE

from ..assignment import (
    free_slot,
    get_agent,
    mark_assigned,
    record_assigned,
    refuse_slot,
    send_welcome,
    take_slot,
    take_slot_over_max,
)
from ..dispatch import dispatch_soon
from ..errors import ChatError
from ..live.publish import live_chat, live_message, owner_of
from ..permissions import check_assign, check_transfer
from .close import system_text
from .common import check_customer_chat, lock_chat, resolve_queue

REQUEUE_LOGGED_OUT = "agent_logged_out"
TRANSFER_MANUAL = "manual"
TRANSFER_NOTE_MAX = 1000
NOW_TALKING_WITH = _("You are now talking with %(name)s.")


def visitor_facing_name(agent: User) -> str:
    """How the visitor knows an agent: his first name, never his account (as the widget's API shows him)."""
    return agent.first_name or agent.username


def chat_assign(*, chat_id, agent_id, actor: User | None = None, strategy: str = MANUAL) -> Chat:
    """Give a waiting chat to an agent by hand (also the "Assign" of a halted chat).

    The agent must be logged in and below the maximum (a pause or a phone call does
    not stop a manual assignment; queue membership is not required). Among
    simultaneous callers exactly one wins; the others get ChatError(code="taken").
    A person (``actor``) other than staff assigns only to himself (``permissions``).
    """
    strategy = (strategy or MANUAL).strip()
    if len(strategy) > 32:
        raise ChatError(_("Give a strategy code of at most 32 characters."), field="strategy", code="invalid")
    check_assign(actor=actor, agent_id=agent_id)
    with transaction.atomic():
        chat = lock_chat(chat_id)
        check_customer_chat(chat)
        assign_locked(chat, agent_id=agent_id, actor=actor, strategy=strategy or MANUAL)
    chat.refresh_from_db()
    return chat


def take_slot_for(agent: User, *, card: ChatSettings, now: datetime, override_capacity: bool = False) -> bool:
    """A person's decision takes the agent's slot: logged in and below the maximum (``take_slot``), or, with
    ``override_capacity`` (a supervisor's, chat.services.supervision), logged in whatever his open chats
    (``take_slot_over_max``). Returns whether the maximum was overridden; refused: ChatError (``refuse_slot``)."""
    if take_slot(agent_id=agent.pk, max_chats=card.max_concurrent_chats, now=now, require_available=False):
        return False
    if override_capacity and take_slot_over_max(agent_id=agent.pk, now=now):
        return True
    raise refuse_slot(agent=agent, max_chats=card.max_concurrent_chats)


def assign_locked(
    chat: Chat, *, agent_id, actor: User | None, strategy: str = MANUAL, override_capacity: bool = False,
    data: dict | None = None,
) -> bool:
    """The assignment of ``chat_assign`` on a chat the caller has locked and checked (``check_customer_chat``):
    refused when taken, the agent's slot (``take_slot_for``), ASSIGNED (``data`` and, when the maximum was
    overridden, ``data["capacity_overridden"]``), the welcome when due, the live event. Returns whether the
    maximum was overridden."""
    if chat.status == Chat.Status.ASSIGNED:
        raise ChatError(
            _("This chat has already been taken by %(agent)s."),
            field="chat",
            code="taken",
            params={"agent": chat.agent.display_name if chat.agent_id else "?"},
        )
    agent = get_agent(agent_id)
    card = ChatSettings.load()
    now = timezone.now()
    overridden = take_slot_for(agent, card=card, now=now, override_capacity=override_capacity)
    mark_assigned(chat_id=chat.pk, agent_id=agent.pk, now=now)
    record_assigned(
        chat_id=chat.pk, agent_id=agent.pk, queue_id=chat.queue_id, strategy=strategy, now=now, actor=actor,
        data={**(data or {}), **({"capacity_overridden": True} if overridden else {})},
    )
    send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=card, now=now, agent_id=agent.pk)
    live_chat(
        "chat.assigned", chat_id=chat.pk, agents=[agent.pk, owner_of(chat.customer_id)], queues=[chat.queue_id],
        strategy=strategy,
    )
    return overridden


def chat_transfer(
    *, chat_id, to_agent_id=None, to_queue_id=None, actor: User | None = None, note: str = ""
) -> Chat:
    """Hand a chat to another agent (capacity applies) or put it back in a queue (keeping its queue time).

    A person (``actor``) other than staff transfers only the chat assigned to him (``permissions``).
    ``note``: what the next agent should know; stored on the TRANSFERRED event (``data["note"]``) and shown at the
    top of the chat to whoever holds it next (``chat.selectors.chat_transfer_note``), never to the visitor.
    To an agent, a system line "You are now talking with <first name>." tells both sides who answers now."""
    if (to_agent_id in (None, "")) == (to_queue_id in (None, "")):
        raise ChatError(_("Choose either an agent or a queue to transfer to."), field="agent", code="required")
    note = (note or "").strip()
    if len(note) > TRANSFER_NOTE_MAX:
        raise ChatError(
            _("The transfer note is too long (at most %(limit)d characters)."), field="note", code="too_long",
            params={"limit": TRANSFER_NOTE_MAX},
        )
    with transaction.atomic():
        chat = lock_chat(chat_id)
        check_customer_chat(chat)
        check_transfer(actor=actor, chat=chat)
        now = timezone.now()
        old_agent_id = chat.agent_id if chat.status == Chat.Status.ASSIGNED else None
        if to_agent_id not in (None, ""):
            transfer_to_agent_locked(
                chat, to_agent_id=to_agent_id, old_agent_id=old_agent_id, actor=actor, now=now, note=note
            )
        else:
            _transfer_to_queue(
                chat, to_queue_id=to_queue_id, old_agent_id=old_agent_id, actor=actor, now=now, note=note
            )
        dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat


def transfer_to_agent_locked(
    chat: Chat, *, to_agent_id, old_agent_id: int | None, actor, now: datetime, note: str = "",
    reason: str = TRANSFER_MANUAL, kind: str = ChatEvent.Kind.TRANSFERRED, override_capacity: bool = False,
    data: dict | None = None,
) -> bool:
    """Another agent takes the chat (locked and checked by the caller): his slot (capacity applies, a pause does
    not; ``override_capacity``: see ``take_slot_for``), the old agent's freed, the event ``kind`` (TRANSFERRED
    with ``reason`` and the note; a supervisor's take-over writes TAKEN_OVER) and ASSIGNED (manual), the system line
    naming him, and the welcome if it is due at assignment. ``data`` goes on both events, with
    ``capacity_overridden`` when the maximum was overridden, which is returned."""
    agent = get_agent(to_agent_id)
    if old_agent_id == agent.pk:
        raise ChatError(
            _("The chat is already assigned to %(agent)s."),
            field="agent",
            code="same_agent",
            params={"agent": agent.display_name},
        )
    card = ChatSettings.load()
    overridden = False
    # Presence rows in ascending agent id: two crossing transfers cannot deadlock.
    for agent_id in sorted({agent.pk, old_agent_id} - {None}):
        if agent_id == agent.pk:
            overridden = take_slot_for(agent, card=card, now=now, override_capacity=override_capacity)
        else:
            free_slot(agent_id=agent_id)
    mark_assigned(chat_id=chat.pk, agent_id=agent.pk, now=now)
    data = {**(data or {}), **({"capacity_overridden": True} if overridden else {})}
    ChatEvent.objects.create(
        chat=chat, kind=kind, from_agent_id=old_agent_id, agent=agent,
        queue_id=chat.queue_id, reason=reason, actor=actor, created_at=now,
        data={**data, "note": note} if note else data,
    )
    record_assigned(
        chat_id=chat.pk, agent_id=agent.pk, queue_id=chat.queue_id, strategy=MANUAL, now=now, actor=actor, data=data
    )
    # Stored in the site's language like every system message (``system_text``); it never touches the clocks.
    line = Message.objects.create(
        chat=chat, sender=Message.Sender.SYSTEM, created_at=now,
        body=system_text(NOW_TALKING_WITH) % {"name": visitor_facing_name(agent)},
    )
    live_message(chat_id=chat.pk, message_id=line.pk, sender=line.sender, agents=[old_agent_id, agent.pk])
    send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=card, now=now, agent_id=agent.pk)
    was_waiting = old_agent_id is None  # it leaves the waiting list of its queue (and of its customer's owner)
    live_chat(
        "chat.transferred", chat_id=chat.pk,
        agents=[old_agent_id, agent.pk, owner_of(chat.customer_id) if was_waiting else None],
        queues=[chat.queue_id if was_waiting else None], reason=reason, strategy=MANUAL,
    )
    return overridden


def _transfer_to_queue(
    chat: Chat, *, to_queue_id, old_agent_id: int | None, actor, now: datetime, note: str = ""
) -> None:
    """The chat goes back to waiting in that queue (``REQUEUE``, its queue time kept), the slot freed."""
    queue = resolve_queue(to_queue_id)
    if chat.status == Chat.Status.WAITING and chat.queue_id == queue.pk:
        raise ChatError(_("The chat is already waiting in this queue."), field="queue", code="same_queue")
    Chat.objects.filter(pk=chat.pk).update(**REQUEUE.orm(now=now), queue=queue)
    free_slot(agent_id=old_agent_id)
    ChatEvent.objects.create(
        chat=chat, kind=ChatEvent.Kind.TRANSFERRED, from_agent_id=old_agent_id, queue=queue,
        reason=TRANSFER_MANUAL, actor=actor, created_at=now, data={"note": note} if note else {},
    )
    live_chat(
        "chat.transferred", chat_id=chat.pk, agents=[old_agent_id, owner_of(chat.customer_id)],
        queues=[chat.queue_id, queue.pk], reason=TRANSFER_MANUAL,
    )


def chat_requeue(
    *, chat_id, reason: str, exclude_agent: bool = False, actor: User | None = None, agent_id=None
) -> Chat:
    """Assigned -> waiting at the head of its queue (``REQUEUE``: ``queued_at`` kept), the slot freed,
    TRANSFERRED recorded.

    ``exclude_agent=True`` also writes a NoReplyExclusion so that the agent is offered this chat again only
    when no other agent is eligible for it (the no-reply rule; docs/routing.md, "No-reply exclusions").
    ``agent_id``, when given, must be the chat's current agent (a guard for timed rules racing a manual transfer).
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 32:
        raise ChatError(_("Give a reason of at most 32 characters."), field="reason", code="invalid_reason")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        check_customer_chat(chat)
        if not REQUEUE.when.holds(chat) or (agent_id is not None and chat.agent_id != int(agent_id)):
            raise ChatError(_("This chat is not assigned to that agent."), field="chat", code="not_assigned")
        now = timezone.now()
        old_agent_id = chat.agent_id
        Chat.objects.filter(pk=chat.pk).update(**REQUEUE.orm(now=now))
        free_slot(agent_id=old_agent_id)
        if exclude_agent:
            NoReplyExclusion.objects.get_or_create(chat_id=chat.pk, agent_id=old_agent_id)
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.TRANSFERRED, from_agent_id=old_agent_id, queue_id=chat.queue_id,
            reason=reason, actor=actor, created_at=now,
        )
        live_chat(
            "chat.queued", chat_id=chat.pk, agents=[old_agent_id, owner_of(chat.customer_id)], queues=[chat.queue_id],
            reason=reason,
        )
        dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat


def chat_mark_read(*, chat_id, agent_id) -> None:
    """The agent has read the chat up to now (unread counts start from here)."""
    try:
        chat = Chat.objects.get(pk=int(chat_id))
    except (Chat.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such chat."), field="chat", code="not_found")
    agent = get_agent(agent_id)
    if agent.pk not in (chat.agent_id, chat.initiator_id):
        raise ChatError(_("This chat is not yours."), field="agent", code="not_participant")
    if Chat.objects.filter(pk=chat.pk).update(agent_read_at=timezone.now()):
        # Unread counts change for the reader (and the open chat's page follows the chat's version).
        live_chat("chat.read", chat_id=chat.pk, agents=[agent.pk])

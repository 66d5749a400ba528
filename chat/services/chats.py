"""A chat's life: start, assign by hand, transfer, requeue, close, mark read.

Every function is keyword-only, runs in one transaction, raises ChatError on bad
input (changing nothing) and queues dispatch after commit when it may have freed
a slot or queued a chat. Lock order: the chat row first, then Presence rows in
ascending agent id (see chat/services/assignment.py and docs/routing.md).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from agents.models import User
from chat.models import Chat, ChatEvent, ChatSettings, Message, NoReplyExclusion, Queue
from chat.routing.agent_chain import MANUAL
from crm.services import customer_link_or_create

from .assignment import free_slot, get_agent, mark_assigned, record_assigned, refuse_slot, send_welcome, take_slot
from .dispatch import dispatch_soon
from .errors import ChatError
from .permissions import FORBIDDEN, check_assign, check_close, check_confirm_customer, check_transfer, is_staff

REQUEUE_LOGGED_OUT = "agent_logged_out"
TRANSFER_MANUAL = "manual"


def lock_chat(chat_id, *, field: str = "chat") -> Chat:
    """The chat row, locked until the end of the transaction (waits for other writers)."""
    try:
        return Chat.objects.select_for_update(of=("self",)).get(pk=int(chat_id))
    except (Chat.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such chat."), field=field, code="not_found")


def _closed_error() -> ChatError:
    return ChatError(_("This chat is already closed."), code="closed")


def _resolve_queue(queue_id) -> Queue:
    if queue_id in (None, ""):
        queue = Queue.objects.filter(active=True).order_by("id").first()
        if queue is None:
            raise ChatError(_("There is no active queue to put the chat in."), field="queue", code="no_queue")
        return queue
    try:
        return Queue.objects.get(pk=int(queue_id), active=True)
    except (Queue.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such queue."), field="queue", code="unknown_queue")


def _open_chat_for_visitor(*, channel: str, visitor_key: str, visitor_messenger_id: str) -> Chat | None:
    if channel == Chat.Channel.WEBSITE and visitor_key:
        return Chat.objects.open().filter(channel=channel, visitor_key=visitor_key).first()
    if channel == Chat.Channel.MESSENGER and visitor_messenger_id:
        return Chat.objects.open().filter(channel=channel, visitor_messenger_id=visitor_messenger_id).first()
    return None


def _check_length(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ChatError(
            _("This value is too long (at most %(limit)d characters)."), field=field, code="too_long",
            params={"limit": limit},
        )
    return value


def chat_start(
    *,
    channel: str,
    queue_id=None,
    visitor_name: str = "",
    visitor_email: str = "",
    visitor_messenger_id: str = "",
    visitor_key: str = "",
    page_url: str = "",
    initiator_id=None,
    peer_id=None,
    verified_via: str = "",
    actor: User | None = None,
) -> Chat:
    """Start a chat. Website/Messenger: link the CRM customer, queue, welcome, dispatch after commit.

    A second start with the same open ``visitor_key`` (website) or Messenger id
    returns the open chat (``chat.created`` is False); the database's partial
    unique constraints decide between simultaneous starts.
    Internal: ``initiator_id`` and ``peer_id``; assigned to the peer at once, no
    queue and no slot.

    ``verified_via`` (a ``Chat.Verification``) says the caller has proven the visitor's e-mail or
    Messenger id: the widget with a valid signature, the webhook with Meta's signature, an integration.
    Empty = a claim: the customer link routes the chat but shows none of his details and gives no VIP
    priority until an agent confirms it. A person (``actor``) may vouch only as an integration, and only
    when staff.
    """
    if verified_via not in Chat.Verification.values:
        raise ChatError(_("Unknown verification."), field="verified_via", code="invalid")
    if actor is not None and verified_via and not (
        verified_via == Chat.Verification.INTEGRATION and is_staff(actor)
    ):
        raise ChatError(
            _("Only staff integrations can start a chat with a verified customer."), field="customer_verified",
            code=FORBIDDEN,
        )
    if channel not in Chat.Channel.values:
        raise ChatError(_("Unknown channel."), field="channel", code="invalid_channel")
    if channel == Chat.Channel.INTERNAL:
        return _internal_chat_start(initiator_id=initiator_id, peer_id=peer_id)

    visitor_name = _check_length(visitor_name, "visitor_name", 200)
    visitor_email = _check_length(visitor_email, "visitor_email", 254).lower()
    visitor_messenger_id = _check_length(visitor_messenger_id, "visitor_messenger_id", 64)
    visitor_key = _check_length(visitor_key, "visitor_key", 64)
    page_url = _check_length(page_url, "page_url", 1000)
    if visitor_email:
        try:
            validate_email(visitor_email)
        except ValidationError:
            raise ChatError(_("Enter a valid e-mail address."), field="visitor_email", code="invalid_email")
    if page_url:
        try:
            URLValidator(schemes=["http", "https"])(page_url)
        except ValidationError:
            raise ChatError(_("Enter a valid page address."), field="page_url", code="invalid_url")
    if channel == Chat.Channel.MESSENGER and not visitor_messenger_id:
        raise ChatError(_("A Messenger chat needs the sender's id."), field="visitor_messenger_id", code="required")
    queue = _resolve_queue(queue_id)

    existing = _open_chat_for_visitor(
        channel=channel, visitor_key=visitor_key, visitor_messenger_id=visitor_messenger_id
    )
    if existing is not None:
        existing.created = False
        return existing

    card = ChatSettings.load()
    now = timezone.now()
    with transaction.atomic():
        customer = customer_link_or_create(
            name=visitor_name, email=visitor_email, messenger_id=visitor_messenger_id, create=card.auto_add_to_crm
        )
        try:
            with transaction.atomic():
                chat = Chat.objects.create(
                    channel=channel,
                    status=Chat.Status.WAITING,
                    queue=queue,
                    customer=customer,
                    visitor_name=visitor_name,
                    visitor_email=visitor_email,
                    visitor_messenger_id=visitor_messenger_id,
                    visitor_key=visitor_key,
                    page_url=page_url,
                    customer_verified=bool(verified_via),
                    customer_verified_via=verified_via,
                    created_at=now,
                    queued_at=now,
                    last_heartbeat_at=now if channel == Chat.Channel.WEBSITE else None,
                )
        except IntegrityError:
            # A simultaneous start from the same visitor won: return its chat.
            existing = _open_chat_for_visitor(
                channel=channel, visitor_key=visitor_key, visitor_messenger_id=visitor_messenger_id
            )
            if existing is None:
                raise
            existing.created = False
            return existing
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.STARTED, created_at=now)
        if customer is not None:
            ChatEvent.objects.create(
                chat=chat,
                kind=ChatEvent.Kind.CUSTOMER_LINKED,
                created_at=now,
                data={
                    "customer": customer.pk,
                    "created": bool(getattr(customer, "created", False)),
                    "verified": bool(verified_via),
                    "via": verified_via,
                },
            )
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.QUEUED, queue=queue, created_at=now)
        send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.CHAT_STARTED, card=card, now=now)
        dispatch_soon(queue_id=queue.pk)
    chat.refresh_from_db()
    chat.created = True
    return chat


def _internal_chat_start(*, initiator_id, peer_id) -> Chat:
    initiator = get_agent(initiator_id, field="initiator")
    peer = get_agent(peer_id, field="peer")
    if initiator.pk == peer.pk:
        raise ChatError(_("Choose a colleague other than yourself."), field="peer", code="same_agent")
    now = timezone.now()
    with transaction.atomic():
        chat = Chat.objects.create(
            channel=Chat.Channel.INTERNAL,
            status=Chat.Status.ASSIGNED,
            agent=peer,
            initiator=initiator,
            created_at=now,
            assigned_at=now,
            last_message_at=now,
        )
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.STARTED, actor=initiator, agent=peer, created_at=now)
    chat.created = True
    return chat


def _check_customer_chat(chat: Chat) -> None:
    if chat.status == Chat.Status.CLOSED:
        raise _closed_error()
    if chat.channel == Chat.Channel.INTERNAL:
        raise ChatError(_("Internal chats are not routed."), field="chat", code="internal")


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
        _check_customer_chat(chat)
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
        if not take_slot(agent_id=agent.pk, max_chats=card.max_concurrent_chats, now=now, require_available=False):
            raise refuse_slot(agent=agent, max_chats=card.max_concurrent_chats)
        mark_assigned(chat_id=chat.pk, agent_id=agent.pk, now=now)
        record_assigned(
            chat_id=chat.pk, agent_id=agent.pk, queue_id=chat.queue_id, strategy=strategy or MANUAL, now=now,
            actor=actor,
        )
        send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=card, now=now)
    chat.refresh_from_db()
    return chat


def chat_transfer(*, chat_id, to_agent_id=None, to_queue_id=None, actor: User | None = None) -> Chat:
    """Hand a chat to another agent (capacity applies) or put it back in a queue (keeping its queue time).

    A person (``actor``) other than staff transfers only the chat assigned to him (``permissions``)."""
    if (to_agent_id in (None, "")) == (to_queue_id in (None, "")):
        raise ChatError(_("Choose either an agent or a queue to transfer to."), field="agent", code="required")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        _check_customer_chat(chat)
        check_transfer(actor=actor, chat=chat)
        now = timezone.now()
        old_agent_id = chat.agent_id if chat.status == Chat.Status.ASSIGNED else None
        if to_agent_id not in (None, ""):
            agent = get_agent(to_agent_id)
            if old_agent_id == agent.pk:
                raise ChatError(
                    _("The chat is already assigned to %(agent)s."),
                    field="agent",
                    code="same_agent",
                    params={"agent": agent.display_name},
                )
            card = ChatSettings.load()
            # Presence rows in ascending agent id: two crossing transfers cannot deadlock.
            for agent_id in sorted({agent.pk, old_agent_id} - {None}):
                if agent_id == agent.pk:
                    if not take_slot(
                        agent_id=agent.pk, max_chats=card.max_concurrent_chats, now=now, require_available=False
                    ):
                        raise refuse_slot(agent=agent, max_chats=card.max_concurrent_chats)
                else:
                    free_slot(agent_id=agent_id)
            mark_assigned(chat_id=chat.pk, agent_id=agent.pk, now=now)
            ChatEvent.objects.create(
                chat=chat, kind=ChatEvent.Kind.TRANSFERRED, from_agent_id=old_agent_id, agent=agent,
                queue_id=chat.queue_id, reason=TRANSFER_MANUAL, actor=actor, created_at=now,
            )
            record_assigned(
                chat_id=chat.pk, agent_id=agent.pk, queue_id=chat.queue_id, strategy=MANUAL, now=now, actor=actor
            )
            send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.AGENT_ASSIGNED, card=card, now=now)
        else:
            queue = _resolve_queue(to_queue_id)
            if chat.status == Chat.Status.WAITING and chat.queue_id == queue.pk:
                raise ChatError(_("The chat is already waiting in this queue."), field="queue", code="same_queue")
            Chat.objects.filter(pk=chat.pk).update(
                status=Chat.Status.WAITING, queue=queue, agent=None, assigned_at=None, agent_replied_at=None,
                queued_at=chat.queued_at or now,
            )
            free_slot(agent_id=old_agent_id)
            ChatEvent.objects.create(
                chat=chat, kind=ChatEvent.Kind.TRANSFERRED, from_agent_id=old_agent_id, queue=queue,
                reason=TRANSFER_MANUAL, actor=actor, created_at=now,
            )
        dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat


def chat_requeue(
    *, chat_id, reason: str, exclude_agent: bool = False, actor: User | None = None, agent_id=None
) -> Chat:
    """Assigned -> waiting at the head of its queue (``queued_at`` kept), the slot freed, TRANSFERRED recorded.

    ``exclude_agent=True`` also writes a NoReplyExclusion so that the agent is not
    offered this chat again (the no-reply rule). ``agent_id``, when given, must be
    the chat's current agent (a guard for timed rules racing a manual transfer).
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > 32:
        raise ChatError(_("Give a reason of at most 32 characters."), field="reason", code="invalid_reason")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        _check_customer_chat(chat)
        if chat.status != Chat.Status.ASSIGNED or (agent_id is not None and chat.agent_id != int(agent_id)):
            raise ChatError(_("This chat is not assigned to that agent."), field="chat", code="not_assigned")
        now = timezone.now()
        old_agent_id = chat.agent_id
        Chat.objects.filter(pk=chat.pk).update(
            status=Chat.Status.WAITING, agent=None, assigned_at=None, agent_replied_at=None,
            queued_at=chat.queued_at or now,
        )
        free_slot(agent_id=old_agent_id)
        if exclude_agent:
            NoReplyExclusion.objects.get_or_create(chat_id=chat.pk, agent_id=old_agent_id)
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.TRANSFERRED, from_agent_id=old_agent_id, queue_id=chat.queue_id,
            reason=reason, actor=actor, created_at=now,
        )
        dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat


CLOSING_MESSAGES = {
    Chat.CloseReason.INACTIVITY: _("The conversation was closed because of inactivity."),
}
DEFAULT_CLOSING_MESSAGE = _("The conversation was closed.")


def system_text(text) -> str:
    """System messages are stored in the site's language (LANGUAGE_CODE), not in the language of
    whoever caused them: the client reads them, and his widget speaks the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)


def chat_close(*, chat_id, reason: str, actor: User | None = None) -> Chat:
    """Close an open chat with a reason: a system message, the slot freed, dispatch after commit.

    A person (``actor``) closes only what ``permissions.may_close`` allows, with the reasons of people
    ("agent"; staff also "admin"); "client", "inactivity" and "system" come only from the system."""
    if reason not in Chat.CloseReason.values:
        raise ChatError(_("Unknown close reason."), field="reason", code="invalid_reason")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.CLOSED:
            raise _closed_error()
        check_close(actor=actor, chat=chat, reason=reason)
        now = timezone.now()
        held_slot = chat.status == Chat.Status.ASSIGNED and chat.channel != Chat.Channel.INTERNAL
        Chat.objects.filter(pk=chat.pk).update(
            status=Chat.Status.CLOSED, closed_at=now, close_reason=reason, awaiting_reply_since=None
        )
        if held_slot:
            free_slot(agent_id=chat.agent_id)
        Message.objects.create(
            chat=chat, sender=Message.Sender.SYSTEM, created_at=now,
            body=system_text(CLOSING_MESSAGES.get(reason, DEFAULT_CLOSING_MESSAGE)),
        )
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.CLOSED, reason=reason, actor=actor, agent_id=chat.agent_id,
            queue_id=chat.queue_id, created_at=now,
        )
        if held_slot:
            dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat


def chat_customer_verify(*, chat_id, via: str, actor: User | None = None) -> Chat:
    """Mark the chat's identity verified (``via``: a ``Chat.Verification``) with a CUSTOMER_VERIFIED event.

    The one writer of a verification after the start; the conditional update makes a second call
    (or two at once) a clear refusal with one event."""
    if via not in Chat.Verification.values or not via:
        raise ChatError(_("Unknown verification."), field="via", code="invalid")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if not Chat.objects.filter(pk=chat.pk, customer_verified=False).update(
            customer_verified=True, customer_verified_via=via
        ):
            raise ChatError(_("This chat's customer is already verified."), field="chat", code="already_verified")
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.CUSTOMER_VERIFIED, actor=actor, agent_id=chat.agent_id,
            queue_id=chat.queue_id, reason=via, data={"customer": chat.customer_id, "via": via},
        )
        if chat.status == Chat.Status.WAITING:
            dispatch_soon(queue_id=chat.queue_id)  # a verified VIP may now go first
    chat.refresh_from_db()
    return chat


def chat_customer_confirm(*, chat_id, actor: User | None) -> Chat:
    """An agent confirms that the visitor is the CRM customer the chat is linked to (he checked it in the
    conversation): from now on the inbox shows the customer's details and earlier chats, and a VIP gets
    his priority. Only the agent handling the chat, or staff (``permissions``)."""
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.CLOSED:
            raise _closed_error()
        check_confirm_customer(actor=actor, chat=chat)
        if chat.customer_id is None:
            raise ChatError(
                _("This chat is not linked to a customer in the CRM."), field="customer", code="no_customer"
            )
        return chat_customer_verify(chat_id=chat.pk, via=Chat.Verification.AGENT, actor=actor)


def chat_mark_read(*, chat_id, agent_id) -> None:
    """The agent has read the chat up to now (unread counts start from here)."""
    try:
        chat = Chat.objects.get(pk=int(chat_id))
    except (Chat.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such chat."), field="chat", code="not_found")
    agent = get_agent(agent_id)
    if agent.pk not in (chat.agent_id, chat.initiator_id):
        raise ChatError(_("This chat is not yours."), field="agent", code="not_participant")
    Chat.objects.filter(pk=chat.pk).update(agent_read_at=timezone.now())

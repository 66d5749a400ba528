"""A new chat: who may vouch for the visitor, what the visitor gave, which queue, a second start, the
customer link, and the internal chat between two agents."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import User
from chat.models import Chat, ChatEvent, ChatSettings, Queue
from crm.services import customer_link_or_create

from ..assignment import get_agent, send_welcome
from ..dispatch import dispatch_soon
from ..errors import ChatError
from ..hours import Schedule
from ..live.publish import live_chat
from ..permissions import FORBIDDEN, is_staff
from .common import resolve_queue


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
    offline: bool = False,
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

    Outside the queue's business hours (``hours.is_open``) the chat is held (``hours_held_at``): it waits, out of
    dispatch's reach, until the release rule queues it at the opening. ``offline``: an offline message (the
    widget's offline form), answered by e-mail.
    """
    _check_verification(verified_via=verified_via, actor=actor)
    if channel not in Chat.Channel.values:
        raise ChatError(_("Unknown channel."), field="channel", code="invalid_channel")
    if channel == Chat.Channel.INTERNAL:
        return _internal_chat_start(initiator_id=initiator_id, peer_id=peer_id)
    visitor = _visitor_identity(
        channel=channel, visitor_name=visitor_name, visitor_email=visitor_email,
        visitor_messenger_id=visitor_messenger_id, visitor_key=visitor_key, page_url=page_url,
    )
    queue = resolve_queue(queue_id)
    existing = _open_chat_for_visitor(channel=channel, **visitor)
    if existing is not None:
        existing.created = False
        return existing
    return _queue_new_chat(channel=channel, queue=queue, verified_via=verified_via, visitor=visitor, offline=offline)


def _check_verification(*, verified_via: str, actor: User | None) -> None:
    """Is ``verified_via`` a verification, and may this caller vouch for the visitor?"""
    if verified_via not in Chat.Verification.values:
        raise ChatError(_("Unknown verification."), field="verified_via", code="invalid")
    if actor is not None and verified_via and not (
        verified_via == Chat.Verification.INTEGRATION and is_staff(actor)
    ):
        raise ChatError(
            _("Only staff integrations can start a chat with a verified customer."), field="customer_verified",
            code=FORBIDDEN,
        )


def _check_length(value: str, field: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ChatError(
            _("This value is too long (at most %(limit)d characters)."), field=field, code="too_long",
            params={"limit": limit},
        )
    return value


def _visitor_identity(
    *, channel: str, visitor_name: str, visitor_email: str, visitor_messenger_id: str, visitor_key: str,
    page_url: str,
) -> dict[str, str]:
    """What the visitor gave, trimmed and checked (the e-mail lower-cased)."""
    visitor = {
        "visitor_name": _check_length(visitor_name, "visitor_name", 200),
        "visitor_email": _check_length(visitor_email, "visitor_email", 254).lower(),
        "visitor_messenger_id": _check_length(visitor_messenger_id, "visitor_messenger_id", 64),
        "visitor_key": _check_length(visitor_key, "visitor_key", 64),
        "page_url": _check_length(page_url, "page_url", 1000),
    }
    if visitor["visitor_email"]:
        try:
            validate_email(visitor["visitor_email"])
        except ValidationError:
            raise ChatError(_("Enter a valid e-mail address."), field="visitor_email", code="invalid_email")
    if visitor["page_url"]:
        try:
            URLValidator(schemes=["http", "https"])(visitor["page_url"])
        except ValidationError:
            raise ChatError(_("Enter a valid page address."), field="page_url", code="invalid_url")
    if channel == Chat.Channel.MESSENGER and not visitor["visitor_messenger_id"]:
        raise ChatError(_("A Messenger chat needs the sender's id."), field="visitor_messenger_id", code="required")
    return visitor


def _open_chat_for_visitor(*, channel: str, visitor_key: str, visitor_messenger_id: str, **_visitor) -> Chat | None:
    """The visitor's chat still open on this channel (one per widget key, one per Messenger sender)."""
    if channel == Chat.Channel.WEBSITE and visitor_key:
        return Chat.objects.open().filter(channel=channel, visitor_key=visitor_key).first()
    if channel == Chat.Channel.MESSENGER and visitor_messenger_id:
        return Chat.objects.open().filter(channel=channel, visitor_messenger_id=visitor_messenger_id).first()
    return None


def _queue_new_chat(
    *, channel: str, queue: Queue, verified_via: str, visitor: dict[str, str], offline: bool = False
) -> Chat:
    """The chat waiting in ``queue``, linked to its CRM customer, with its events, welcome and a dispatch after
    commit (held instead while the queue is closed); a simultaneous start from the same visitor that won returns
    that chat instead."""
    card = ChatSettings.load()
    now = timezone.now()
    schedule = Schedule.of(queue)
    held = not schedule.is_open(now)
    with transaction.atomic():
        customer = customer_link_or_create(
            name=visitor["visitor_name"], email=visitor["visitor_email"],
            messenger_id=visitor["visitor_messenger_id"], create=card.auto_add_to_crm,
        )
        try:
            with transaction.atomic():
                chat = Chat.objects.create(
                    channel=channel,
                    status=Chat.Status.WAITING,
                    queue=queue,
                    customer=customer,
                    **visitor,
                    customer_verified=bool(verified_via),
                    customer_verified_via=verified_via,
                    created_at=now,
                    queued_at=now,
                    hours_held_at=now if held else None,
                    offline=offline,
                    last_heartbeat_at=now if channel == Chat.Channel.WEBSITE and not offline else None,
                )
        except IntegrityError:
            # A simultaneous start from the same visitor won: return its chat.
            existing = _open_chat_for_visitor(channel=channel, **visitor)
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
        if held:
            opens = schedule.next_opening(now)
            ChatEvent.objects.create(
                chat=chat, kind=ChatEvent.Kind.HELD_FOR_HOURS, queue=queue, created_at=now,
                data={"opens": opens.isoformat() if opens else None},
            )
        else:
            ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.QUEUED, queue=queue, created_at=now)
        send_welcome(chat_id=chat.pk, when=ChatSettings.WelcomeWhen.CHAT_STARTED, card=card, now=now)
        live_chat("chat.queued", chat_id=chat.pk, agents=[customer.owner_id if customer else None], queues=[queue.pk])
        if not held:
            dispatch_soon(queue_id=queue.pk)
    chat.refresh_from_db()
    chat.created = True
    return chat


def _internal_chat_start(*, initiator_id, peer_id) -> Chat:
    """A chat between two agents: assigned to the peer at once, no queue, no slot.

    One open internal chat per pair of colleagues: while one is open (whoever started it), starting another
    returns it (``created`` False) instead of a second thread (docs/decisions.md). Two starts at once are
    serialised by locking both agents' user rows, in ascending id order."""
    initiator = get_agent(initiator_id, field="initiator")
    peer = get_agent(peer_id, field="peer")
    if initiator.pk == peer.pk:
        raise ChatError(_("Choose a colleague other than yourself."), field="peer", code="same_agent")
    now = timezone.now()
    with transaction.atomic():
        list(User.objects.select_for_update().filter(pk__in=[initiator.pk, peer.pk]).order_by("pk").values("pk"))
        pair = Q(agent=peer, initiator=initiator) | Q(agent=initiator, initiator=peer)
        existing = (
            Chat.objects.filter(pair, channel=Chat.Channel.INTERNAL).exclude(status=Chat.Status.CLOSED)
            .order_by("-created_at", "-id").first()
        )
        if existing is not None:
            existing.created = False
            return existing
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
        live_chat("chat.assigned", chat_id=chat.pk, agents=[initiator.pk, peer.pk])
    chat.created = True
    return chat

"""Posting a message: the client's, the agent's, the system's."""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, User
from chat.models import Chat, Message, OfflineEmail
from core.hooks import Hook

from .assignment import get_agent
from .chats import lock_chat
from .emails import offline_email_store
from .errors import ChatError
from .live.publish import live_message

MAX_BODY = 10000

# Called after commit with ``message_id`` when an agent's reply on a Messenger chat (or the rating question of a
# closed one, chat.services.ratings) was stored (pending in the outbox): the Messenger channel queues its delivery
# (chat/messenger/outbox.py, registered in ChatConfig.ready).
# The services do not import that way in; docs/decisions.md "Import layers".
messenger_reply_stored = Hook("chat.messenger_reply_stored")


def message_post(
    *, chat_id, sender: str, body: str = "", author_id=None, external_id=None, author: User | None = None
) -> Message:
    """Store a message and keep the chat's clocks.

    client: ``last_client_message_at``/``last_message_at`` = now, ``awaiting_reply_since``
    set if NULL, ``page_closed_at`` cleared (the visitor is back).
    agent: ``last_message_at`` = now; when the author is the chat's agent,
    ``awaiting_reply_since`` cleared and ``agent_replied_at`` set. On a Messenger
    chat the message starts in the Messenger outbox (``delivery_status = pending``, due now) and is
    queued after commit; if the broker is down it stays pending, queued by nobody, for the outbox sweep.
    In an offline chat (``chat.offline``, the widget's offline form) the agent's message is also e-mailed to the
    visitor: its ``OfflineEmail`` row is written here, sent after commit (``chat.services.emails``).
    system: stored only; it never reopens, starts or refreshes a chat.
    note: an agent's private note (author required): stored and shown to the agents only. It is no reply: it
    touches none of the chat's clocks (not ``last_message_at``, not the no-reply rule's ``awaiting_reply_since``),
    is never queued for Messenger, and the visitor's ways out (``Message.objects.for_visitor()``) leave it out.
    An internal chat takes no notes (both sides are agents).
    A closed chat refuses every message (code "closed"). A repeated ``external_id``
    returns the stored message with ``created = False`` and writes nothing.
    ``author``: the author already loaded (the inbox's user), instead of ``author_id``; he must be an active agent.
    """
    if sender not in Message.Sender.values:
        raise ChatError(_("Unknown sender."), field="sender", code="invalid_sender")
    body = body or ""
    if len(body) > MAX_BODY:
        raise ChatError(
            _("The message is too long (at most %(limit)d characters)."), field="body", code="too_long",
            params={"limit": MAX_BODY},
        )
    external_id = (external_id or "").strip() or None
    if external_id is not None:
        if len(external_id) > 255:
            raise ChatError(_("The external id is too long."), field="external_id", code="too_long")
        stored = Message.objects.filter(external_id=external_id).first()
        if stored is not None:
            stored.created = False
            return stored
    if author is not None:
        author_id = author.pk
    if author is None or not ACTIVE_AGENT.holds(author):
        author = get_agent(author_id, field="author") if author_id not in (None, "") else None
    if sender in (Message.Sender.AGENT, Message.Sender.NOTE) and author is None:
        raise ChatError(_("An agent's message needs its author."), field="author", code="required")

    with transaction.atomic():
        chat = lock_chat(chat_id)
        if chat.status == Chat.Status.CLOSED:
            raise ChatError(_("This chat is closed."), field="chat", code="closed")
        internal = chat.channel == Chat.Channel.INTERNAL
        if internal and sender == Message.Sender.CLIENT:
            raise ChatError(_("An internal chat has no client."), field="sender", code="invalid_sender")
        if internal and sender == Message.Sender.NOTE:
            raise ChatError(_("An internal chat takes no private notes."), field="sender", code="invalid_sender")
        if internal and sender == Message.Sender.AGENT and author.pk not in (chat.agent_id, chat.initiator_id):
            raise ChatError(_("This chat is not yours."), field="author", code="not_participant")
        now = timezone.now()
        outgoing_messenger = sender == Message.Sender.AGENT and chat.channel == Chat.Channel.MESSENGER
        try:
            # A savepoint only where a duplicate can happen: a repeated external id (the Messenger webhook).
            with transaction.atomic() if external_id is not None else nullcontext():
                message = Message.objects.create(
                    chat=chat,
                    sender=sender,
                    author=author if sender != Message.Sender.CLIENT else None,
                    body=body,
                    created_at=now,
                    external_id=external_id,
                    delivery_status=Message.Delivery.PENDING if outgoing_messenger else Message.Delivery.NOT_APPLICABLE,
                    delivery_next_attempt_at=now if outgoing_messenger else None,
                    delivery_queued_at=now if outgoing_messenger else None,  # after commit; unset if that fails
                )
        except IntegrityError:
            stored = Message.objects.filter(external_id=external_id).first() if external_id else None
            if stored is None:
                raise
            stored.created = False
            return stored
        updates: dict = {}
        if sender == Message.Sender.CLIENT:
            updates = {"last_client_message_at": now, "last_message_at": now, "page_closed_at": None}
            if chat.awaiting_reply_since is None:
                updates["awaiting_reply_since"] = now
        elif sender == Message.Sender.AGENT:
            updates = {"last_message_at": now}
            if not internal and chat.first_response_at is None:
                # The first-response figure (SPEC.md, "Figures"); COALESCE keeps the earliest when two race.
                updates["first_response_at"] = Coalesce(F("first_response_at"), Value(now))
            if not internal and author.pk == chat.agent_id and chat.status == Chat.Status.ASSIGNED:
                updates.update(awaiting_reply_since=None, agent_replied_at=now)
        if updates:
            Chat.objects.filter(pk=chat.pk).update(**updates)
        live_message(chat_id=chat.pk, message_id=message.pk, sender=sender, agents=[chat.agent_id, chat.initiator_id])
        if outgoing_messenger:
            transaction.on_commit(partial(messenger_reply_stored, message_id=message.pk))
        if sender == Message.Sender.AGENT and chat.offline:
            # An offline message's visitor is not on the page: the reply goes to him by e-mail (after commit).
            offline_email_store(chat=chat, kind=OfflineEmail.Kind.REPLY, message_id=message.pk, now=now)
    message.created = True
    return message

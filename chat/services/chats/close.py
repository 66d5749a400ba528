"""Closing a chat, and the system messages it leaves."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import User
from chat.models import Chat, ChatEvent, ChatSettings, Disposition, Message
from chat.models.conditions import HOLDS_SLOT
from chat.models.transitions import CLOSE

from ..assignment import free_slot
from ..dispatch import dispatch_soon
from ..errors import ChatError
from ..live.publish import live_chat, owner_of
from ..permissions import check_close
from ..ratings import rating_prompts_add
from ..texts import system_text
from .common import closed_error, lock_chat

CLOSING_MESSAGES = {
    Chat.CloseReason.INACTIVITY: _("The conversation was closed because of inactivity."),
}
DEFAULT_CLOSING_MESSAGE = _("The conversation was closed.")


def _disposition(*, disposition_id, chat: Chat, reason: str) -> Disposition | None:
    """The disposition the closer chose: an active one of the admin's list. Required when the card says so and the
    agent who handled a customer chat closes it (reason "agent"); a visitor, a timed rule or staff closing somebody
    else's chat ("admin") cannot always know, so they may leave it out (docs/decisions.md "Dispositions")."""
    if disposition_id in (None, ""):
        if (
            reason == Chat.CloseReason.AGENT
            and chat.channel != Chat.Channel.INTERNAL
            and ChatSettings.load().disposition_required
        ):
            raise ChatError(
                _("Choose a disposition: what was the conversation about?"), field="disposition", code="required"
            )
        return None
    try:
        disposition = Disposition.objects.filter(pk=int(disposition_id)).first()
    except (TypeError, ValueError):
        disposition = None
    if disposition is None or not disposition.active:
        raise ChatError(_("Choose one of the active dispositions."), field="disposition", code="invalid")
    return disposition


def chat_close(*, chat_id, reason: str, actor: User | None = None, disposition_id=None) -> Chat:
    """Close an open chat with a reason (``CLOSE``): a system message, the slot freed, dispatch after commit.

    A person (``actor``) closes only what ``permissions.may_close`` allows, with the reasons of people
    ("agent"; staff also "admin"); "client", "inactivity" and "system" come only from the system.
    ``disposition_id``: what the conversation was about (``_disposition`` says when it is required); a missing
    or inactive one is refused before anything is written."""
    if reason not in Chat.CloseReason.values:
        raise ChatError(_("Unknown close reason."), field="reason", code="invalid_reason")
    with transaction.atomic():
        chat = lock_chat(chat_id)
        if not CLOSE.when.holds(chat):
            raise closed_error()
        check_close(actor=actor, chat=chat, reason=reason)
        disposition = _disposition(disposition_id=disposition_id, chat=chat, reason=reason)
        now = timezone.now()
        held_slot = HOLDS_SLOT.holds(chat)
        Chat.objects.filter(pk=chat.pk).update(**CLOSE.orm(now=now, reason=reason), disposition=disposition)
        if held_slot:
            free_slot(agent_id=chat.agent_id)
        message = Message.objects.create(
            chat=chat, sender=Message.Sender.SYSTEM, created_at=now,
            body=system_text(CLOSING_MESSAGES.get(reason, DEFAULT_CLOSING_MESSAGE)),
        )
        ChatEvent.objects.create(
            chat=chat, kind=ChatEvent.Kind.CLOSED, reason=reason, actor=actor, agent_id=chat.agent_id,
            queue_id=chat.queue_id, created_at=now,
            data={"disposition": disposition.pk} if disposition is not None else {},
        )
        if chat.channel == Chat.Channel.MESSENGER:  # the rating question, sent through the Messenger outbox
            rating_prompts_add(chats=[(chat.pk, chat.last_client_message_at)], now=now)
        waiting = chat.status == Chat.Status.WAITING
        live_chat(
            "chat.closed", chat_id=chat.pk,
            agents=[chat.agent_id, chat.initiator_id, owner_of(chat.customer_id) if waiting else None],
            queues=[chat.queue_id if waiting else None], message_id=message.pk, reason=reason,
        )
        if held_slot:
            dispatch_soon(queue_id=chat.queue_id)
    chat.refresh_from_db()
    return chat

"""The transcript of a chat, e-mailed to the visitor (issue 14, point 5)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, Message

from ..errors import ChatError

logger = logging.getLogger(__name__)



def chat_transcript_recipient(chat: Chat) -> str:
    """Where a transcript goes: the verified customer's e-mail, else the e-mail the visitor gave in this chat
    (his own words about himself: he receives only what he wrote and was told). Empty when there is none."""
    if chat.customer_id and chat.customer_verified and chat.customer.email:
        return chat.customer.email
    return chat.visitor_email or ""


def chat_transcript_messages(chat: Chat) -> list[Message]:
    """What the visitor saw: his messages, the agents' replies and the system's lines, through the one door to the
    visitor (``Message.objects.for_visitor()``): an agent's private note never reaches a transcript."""
    return list(
        Message.objects.for_visitor().filter(chat_id=chat.pk).select_related("author").prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def chat_transcript_send(*, chat_id: int, actor) -> str:
    """E-mail the chat's transcript to the visitor with Django's e-mail backend (the console on the embedded
    default) and return the address. A customer chat only, with an address (``ChatError`` otherwise)."""
    chat = Chat.objects.select_related("customer", "queue").filter(pk=chat_id).first()
    if chat is None:
        raise ChatError(_("There is no such chat."), field="chat", code="not_found")
    if chat.channel == Chat.Channel.INTERNAL:
        raise ChatError(_("An internal chat has no visitor to send a transcript to."), field="chat", code="internal")
    recipient = chat_transcript_recipient(chat)
    if not recipient:
        raise ChatError(_("This chat has no e-mail address to send the transcript to."), field="chat",
                        code="no_email")
    context = {"chat": chat, "chat_messages": chat_transcript_messages(chat)}
    subject = str(_("Your conversation with us (%(date)s)")) % {"date": chat.created_at.date().isoformat()}
    body = render_to_string("chat/transcript.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])
    logger.info("transcript of chat %s e-mailed by user %s", chat.pk, getattr(actor, "pk", None))
    return recipient

"""Offline messages (issue 17): what a website visitor leaves in the widget's offline form while the queue is closed
or nobody of it is logged in. The message becomes an offline chat (``Chat.offline``) that waits, held, for the next
opening and is then routed like any other chat (``chat_start``); the visitor gets an acknowledgement by e-mail, and
every agent's reply in it goes to him by e-mail (``chat.services.emails``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, ChatSettings, Message, OfflineEmail, Queue

from .availability import QueueAvailability, queue_availability
from .chats import chat_start
from .chats.common import resolve_queue
from .emails import offline_email_store
from .errors import ChatError
from .files import FileTooLarge, attachment_create
from .messages import MAX_BODY, message_post
from .storage import storage_delete_files

# The offline form's limits (the widget's too): a chat message's length, and a few files.
OFFLINE_MESSAGE_MAX = MAX_BODY
OFFLINE_NAME_MAX = 200
OFFLINE_FILES_MAX = 3


@dataclass(frozen=True)
class OfflineMessage:
    chat: Chat
    message: Message
    availability: QueueAvailability  # the queue's state when the visitor wrote


def widget_queue(queue_id) -> Queue:
    """The queue the widget names (its ``data-queue``), or the first active one; refused when unknown or
    inactive (field "queue")."""
    try:
        return resolve_queue(queue_id)
    except ChatError as exc:
        if exc.code == "no_queue":
            raise
        raise ChatError(_("This queue does not exist."), field="queue", code="not_found") from exc


def offline_message_check(*, name: str, email: str, body: str, files=()) -> tuple[str, str, str]:
    """The form's fields, trimmed, or the first refusal naming its field (code "required", "invalid",
    "too_long", "disabled", "too_large", "empty", "too_many"): nothing is written before all of them pass."""
    name, email, body = (name or "").strip(), (email or "").strip().lower(), (body or "").strip()
    if not name:
        raise ChatError(_("Tell us your name."), field="name", code="required")
    if len(name) > OFFLINE_NAME_MAX:
        raise ChatError(_("The name is too long (at most %(limit)d characters)."), field="name", code="too_long",
                        params={"limit": OFFLINE_NAME_MAX})
    if not email:
        raise ChatError(_("Give your e-mail address: we will answer there."), field="email", code="required")
    try:
        validate_email(email)
    except ValidationError:
        raise ChatError(_("Enter a valid e-mail address."), field="email", code="invalid") from None
    if not body:
        raise ChatError(_("Write your message."), field="message", code="required")
    if len(body) > OFFLINE_MESSAGE_MAX:
        raise ChatError(_("The message is too long (at most %(limit)d characters)."), field="message",
                        code="too_long", params={"limit": OFFLINE_MESSAGE_MAX})
    files = list(files or ())
    if files:
        card = ChatSettings.load()
        if not card.file_upload_enabled:
            raise ChatError(_("File transfer is switched off."), field="file", code="disabled")
        if len(files) > OFFLINE_FILES_MAX:
            raise ChatError(_("Attach at most %(limit)d files."), field="file", code="too_many",
                            params={"limit": OFFLINE_FILES_MAX})
        for uploaded in files:
            size = getattr(uploaded, "size", None) or 0
            if size <= 0:
                raise ChatError(_("The file is empty."), field="file", code="empty")
            if size > card.file_max_size_bytes:
                raise FileTooLarge(limit_mb=card.file_max_size_mb)
    return name, email, body


def offline_message_submit(
    *, queue_id=None, name: str, email: str, body: str, files=(), page_url: str = "", language: str = "",
) -> OfflineMessage:
    """The visitor's offline message, in one transaction: an offline website chat (held until the queue opens
    when it is closed; queued at once when it turned live meanwhile), his message with its files, and the
    acknowledgement e-mail (sent after the commit). A refusal of any part (a field, a file) writes nothing, and a
    file already stored for it is removed.

    Each offline message is a chat of its own: it carries no visitor key, so it never resumes an open chat of
    the browser, and a live chat the visitor starts later is a new chat too (docs/inbox.md, "Offline messages")."""
    name, email, body = offline_message_check(name=name, email=email, body=body, files=files)
    queue = widget_queue(queue_id)
    availability = queue_availability(queue)
    stored: list[str] = []
    try:
        with transaction.atomic():
            chat = chat_start(
                channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name, visitor_email=email,
                page_url=page_url, offline=True,
            )
            message = message_post(chat_id=chat.pk, sender=Message.Sender.CLIENT, body=body)
            for uploaded in files or ():
                attachment = attachment_create(uploaded_file=uploaded, message_id=message.pk)
                stored.append(attachment.file.name)
            offline_email_store(chat=chat, kind=OfflineEmail.Kind.ACKNOWLEDGEMENT, language=language,
                                now=timezone.now())
    except BaseException:
        storage_delete_files(names=stored)  # nothing half-written: the files of the rolled back rows go
        raise
    chat.refresh_from_db()
    return OfflineMessage(chat=chat, message=message, availability=availability)

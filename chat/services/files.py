"""Files: upload (size check before anything is stored) and the download check (410 Gone after the
configured hours). Their removal from storage: ``storage.py``; the timed rules that retire them:
``rules/expire_attachments.py`` and ``rules/orphan_files.py``.

Storage is Django's default storage; a file is stored at
``attachments/<YYYY>/<MM>/<DD>/<token>/<name>`` (``chat.models.chats.attachment_path``).
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import SuspiciousFileOperation
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from chat.models import Attachment, Chat, ChatSettings, Message
from chat.models.conditions import EXPIRED_FILE

from .errors import ChatError
from .live.publish import live_chat
from .messages import message_post
from .storage import storage_delete_files


class AttachmentGone(ChatError):
    """The download link is past its hours: the API answers 410 Gone."""

    def __init__(self, message=None, *, field=None, code="gone"):
        super().__init__(message or _("This file is no longer available."), field=field, code=code)


class FileTooLarge(ChatError):
    """A file over the card's limit (code "too_large"): the API answers 413 with ``limit_bytes``."""

    def __init__(self, *, limit_mb: int):
        self.limit_bytes = limit_mb * 1024 * 1024
        super().__init__(
            _("The file is too large: the limit is %(mb)s MB.") % {"mb": limit_mb}, field="file", code="too_large"
        )


# --- upload ------------------------------------------------------------------


def attachment_create(
    *,
    uploaded_file,
    message_id: int | None = None,
    chat_id: int | None = None,
    sender: str = Message.Sender.CLIENT,
    author_id: int | None = None,
    body: str = "",
    now: datetime | None = None,
) -> Attachment:
    """Attach ``uploaded_file`` to an existing message (``message_id``) or to a new
    message posted in ``chat_id`` (through ``message_post``).

    Refused, with nothing stored and nothing written, when file transfer is off,
    when the file is empty or over the card's limit, or when the chat is closed.
    The download link is valid for the card's ``file_download_hours``.
    """
    if (message_id is None) == (chat_id is None):
        raise ChatError(_("Give either a message or a chat."), field="message", code="invalid")
    card = ChatSettings.load()
    if not card.file_upload_enabled:
        raise ChatError(_("File transfer is switched off."), field="file", code="disabled")
    if uploaded_file is None:
        raise ChatError(_("Choose a file."), field="file", code="required")
    size = getattr(uploaded_file, "size", None)
    if size is None:
        raise ChatError(_("The file could not be read."), field="file", code="invalid")
    if size <= 0:
        raise ChatError(_("The file is empty."), field="file", code="empty")
    if size > card.file_max_size_bytes:
        raise FileTooLarge(limit_mb=card.file_max_size_mb)
    now = now or timezone.now()
    original_name = os.path.basename(getattr(uploaded_file, "name", "") or "file")[:255] or "file"
    try:
        stored_name = get_valid_filename(original_name)[-100:]
    except SuspiciousFileOperation:  # "..", "" and the like
        stored_name = "file"
    stored: list[str] = []
    try:
        with transaction.atomic():
            if message_id is not None:
                message = Message.objects.select_related("chat").filter(pk=message_id).first()
                if message is None:
                    raise ChatError(_("This message does not exist."), field="message", code="not_found")
                if message.chat.status == Chat.Status.CLOSED:
                    raise ChatError(_("This chat is closed."), field="message", code="closed")
                live_chat(
                    "chat.changed", chat_id=message.chat_id, agents=[message.chat.agent_id, message.chat.initiator_id],
                    message_id=message.pk, attachment=True,
                )
            else:
                message = message_post(chat_id=chat_id, sender=sender, body=body, author_id=author_id)
            attachment = Attachment(
                message=message,
                token=secrets.token_urlsafe(32),
                original_name=original_name,
                size=size,
                content_type=(getattr(uploaded_file, "content_type", "") or "")[:255],
                created_at=now,
                expires_at=now + timedelta(hours=card.file_download_hours),
            )
            # Its path, known before a byte is written (its folder is the new token's): a save that fails halfway
            # leaves a partial file there, which goes with the rest below.
            stored.append(attachment.file.field.generate_filename(attachment, stored_name))
            attachment.file.save(stored_name, uploaded_file, save=False)
            stored.append(attachment.file.name)
            attachment.save(force_insert=True)
    except BaseException:
        # Nothing half-written: a file stored for a row that did not commit goes.
        storage_delete_files(names=stored)
        raise
    return attachment


# --- download ----------------------------------------------------------------


def attachment_download_check(*, attachment: Attachment, now: datetime | None = None) -> Attachment:
    """Raise ``AttachmentGone`` (code "gone", HTTP 410) when the link's hours are over (``EXPIRED_FILE``) or the
    file is gone."""
    now = now or timezone.now()
    if EXPIRED_FILE.holds(attachment, now=now) or not attachment.file:
        raise AttachmentGone()
    return attachment


def attachment_for_download(*, token: str, now: datetime | None = None) -> Attachment:
    """The attachment behind a download link, checked: not found -> code "not_found", expired -> "gone"."""
    attachment = Attachment.objects.select_related("message").filter(token=token).first() if token else None
    if attachment is None:
        raise ChatError(_("This file does not exist."), field="token", code="not_found")
    return attachment_download_check(attachment=attachment, now=now)

"""The website visitor's side of a chat: starting it from the widget, the
per-chat visitor token, heartbeat and page closed.

The token is ``secrets.token_urlsafe(32)`` (256 random bits); only its SHA-256
is stored (``Chat.visitor_token_hash``), it travels only in the
``X-Visitor-Token`` header and opens only its own chat. A start from a browser
whose visitor key already has an open chat resumes that chat and issues a new
token (the widget keeps the newest token in the browser's storage).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, Queue
from chat.services.errors import ChatError


def visitor_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visitor_token_issue(*, chat_id: int) -> str:
    """A new token for an open website chat; the previous one stops working."""
    token = secrets.token_urlsafe(32)
    updated = (
        Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE)
        .exclude(status=Chat.Status.CLOSED)
        .update(visitor_token_hash=visitor_token_hash(token))
    )
    if not updated:
        raise ChatError(_("This chat is closed."), field="chat", code="closed")
    return token


def visitor_chat_authenticate(*, chat_id: int, token: str) -> Chat | None:
    """The chat the token opens, or None (wrong token, another chat's token, no such chat)."""
    if not token or not chat_id:
        return None
    chat = Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE).first()
    if chat is None or not chat.visitor_token_hash:
        return None
    if not hmac.compare_digest(chat.visitor_token_hash.encode(), visitor_token_hash(token).encode()):
        return None
    return chat


def visitor_default_queue_id() -> int | None:
    return Queue.objects.filter(active=True).order_by("id").values_list("pk", flat=True).first()


def visitor_chat_start(
    *,
    visitor_key: str,
    queue_id: int | None = None,
    visitor_name: str = "",
    visitor_email: str = "",
    page_url: str = "",
    now: datetime | None = None,
) -> tuple[Chat, str]:
    """Start (or resume, for the same visitor key) a website chat; returns the chat and a fresh visitor token."""
    from chat.services.chats import chat_start

    if queue_id is None:
        queue_id = visitor_default_queue_id()
    elif not Queue.objects.filter(pk=queue_id, active=True).exists():
        raise ChatError(_("This queue does not exist."), field="queue", code="not_found")
    now = now or timezone.now()
    for attempt in range(2):
        try:
            with transaction.atomic():
                chat = chat_start(
                    channel=Chat.Channel.WEBSITE,
                    queue_id=queue_id,
                    visitor_name=visitor_name,
                    visitor_email=visitor_email,
                    visitor_key=visitor_key,
                    page_url=page_url,
                )
                Chat.objects.filter(pk=chat.pk).update(last_heartbeat_at=now, page_closed_at=None)
                token = visitor_token_issue(chat_id=chat.pk)
            break
        except ChatError as exc:
            # The open chat being resumed was closed meanwhile (inactivity): start a new one, once.
            if exc.code != "closed" or attempt:
                raise
    chat.refresh_from_db()
    return chat, token


def chat_heartbeat(*, chat_id: int, now: datetime | None = None) -> bool:
    """The widget is open: record it, and a page reported closed is open again (the visitor returned)."""
    now = now or timezone.now()
    return bool(
        Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE)
        .exclude(status=Chat.Status.CLOSED)
        .update(last_heartbeat_at=now, page_closed_at=None)
    )


def chat_page_closed(*, chat_id: int, now: datetime | None = None) -> bool:
    """The widget reported its page closed: the "page closed" inactivity clock starts now."""
    now = now or timezone.now()
    return bool(
        Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE, page_closed_at__isnull=True)
        .exclude(status=Chat.Status.CLOSED)
        .update(page_closed_at=now)
    )

"""The website visitor's side of a chat: starting it from the widget, the
per-chat visitor token, heartbeat and page closed.

The token is ``secrets.token_urlsafe(32)`` (256 random bits); only its SHA-256
is stored (``Chat.visitor_token_hash``), it travels only in the
``X-Visitor-Token`` header and opens only its own chat. A start from a browser
whose visitor key already has an open chat resumes that chat and issues a new
token (the widget keeps the newest token in the browser's storage).

An e-mail typed into the widget is a claim. A host page whose visitors are logged
in may prove it: it signs the lower-cased e-mail with HMAC-SHA256 and the widget
secret (``WIDGET_IDENTITY_SECRET``) on its server and puts the hex digest beside
the e-mail; ``visitor_identity_check`` accepts it or refuses the start
(docs/inbox.md, "Signed identities").
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, Queue
from chat.services.chats import chat_customer_verify, chat_start
from chat.services.errors import ChatError
from core.services import on_commit_robust

logger = logging.getLogger(__name__)

SIGNATURE_MAX_LENGTH = 128


def visitor_email_signature(*, email: str, secret: str) -> str:
    """What the host page computes on its server: hex HMAC-SHA256 of the trimmed, lower-cased e-mail."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def visitor_identity_check(*, email: str, signature: str) -> bool:
    """True when ``signature`` proves ``email`` (one of ``WIDGET_IDENTITY_SECRETS`` signed it); False when
    there is no signature (a claim) or signed identities are off (no secret: the signature cannot be checked,
    so the e-mail stays a claim and a warning is logged). A wrong signature, or one without an e-mail, is
    refused (ChatError naming the field), so the start creates nothing."""
    signature = (signature or "").strip().lower()
    if not signature:
        return False
    if not (email or "").strip():
        raise ChatError(_("Give the e-mail that the signature signs."), field="email", code="required")
    keys = [key for key in getattr(settings, "WIDGET_IDENTITY_SECRETS", []) if key]
    if not keys:
        logger.warning("A widget start carried an e-mail signature, but WIDGET_IDENTITY_SECRET is not set")
        return False
    if len(signature) <= SIGNATURE_MAX_LENGTH and any(
        hmac.compare_digest(visitor_email_signature(email=email, secret=key), signature) for key in keys
    ):
        return True
    raise ChatError(_("The e-mail signature is not valid."), field="email_signature", code="invalid_signature")


def visitor_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# The cache's copy of a chat's token hash (docs/decisions.md, "Cheap polls"): the widget's poll checks the token
# against it without a query. Written after the commit that stored the hash, rewritten by a new token (the old
# one stops opening the chat at once), deleted with the chat; a missing entry only costs the query.
TOKEN_CACHE_PREFIX = "live:wt:"
TOKEN_CACHE_TIMEOUT = 24 * 3600


def visitor_token_cache_key(chat_id: int) -> str:
    return f"{TOKEN_CACHE_PREFIX}{int(chat_id)}"


def visitor_token_remember(*, chat_id: int, token_hash: str) -> None:
    cache.set(visitor_token_cache_key(chat_id), token_hash, TOKEN_CACHE_TIMEOUT)


def visitor_tokens_forget(*, chat_ids) -> None:
    """The chats are gone (purged): their tokens open nothing, even on the cheap path (after the commit)."""
    keys = [visitor_token_cache_key(chat_id) for chat_id in chat_ids]
    if keys:
        on_commit_robust(cache.delete_many, keys)


def visitor_token_issue(*, chat_id: int) -> str:
    """A new token for an open website chat; the previous one stops working."""
    token = secrets.token_urlsafe(32)
    token_hash = visitor_token_hash(token)
    updated = (
        Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE)
        .exclude(status=Chat.Status.CLOSED)
        .update(visitor_token_hash=token_hash)
    )
    if not updated:
        raise ChatError(_("This chat is closed."), field="chat", code="closed")
    on_commit_robust(visitor_token_remember, chat_id=chat_id, token_hash=token_hash)
    return token


def visitor_chat_authenticate(*, chat_id: int, token: str) -> Chat | None:
    """The chat the token opens, or None (wrong token, another chat's token, no such chat).

    The cache's copy of the chat's token hash answers first: then the chat is returned as its id only
    (``Chat(pk=…)``, unsaved: callers use its id and read what else they need). Without a copy the database
    answers, and a match leaves the copy for the next request."""
    if not token or not chat_id:
        return None
    cached = cache.get(visitor_token_cache_key(chat_id))
    if cached is not None and visitor_chat_id_cached(chat_id=chat_id, token=token, cached_hash=cached):
        return Chat(pk=int(chat_id), channel=Chat.Channel.WEBSITE)
    chat = Chat.objects.filter(pk=chat_id, channel=Chat.Channel.WEBSITE).first()
    if chat is None or not chat.visitor_token_hash:
        return None
    if not hmac.compare_digest(chat.visitor_token_hash.encode(), visitor_token_hash(token).encode()):
        return None
    if not transaction.get_connection().in_atomic_block:  # a hash read inside a transaction may yet roll back
        visitor_token_remember(chat_id=chat.pk, token_hash=chat.visitor_token_hash)
    return chat


def visitor_chat_id_cached(*, chat_id: int, token: str, cached_hash: str | None) -> bool:
    """Does ``token`` open chat ``chat_id`` by the cache's copy of its hash (``cached_hash``, read by the caller
    together with what else it needs)? False also when the cache has no copy: ask the database then."""
    if not token or not cached_hash:
        return False
    return hmac.compare_digest(cached_hash.encode(), visitor_token_hash(token).encode())


def visitor_token_valid(*, chat_id: int, token: str) -> bool:
    """Does the token still open the chat? :func:`visitor_chat_authenticate`'s rule (the cache's copy of the hash
    first): the widget's socket asks it for every event."""
    return visitor_chat_authenticate(chat_id=chat_id, token=token) is not None


def visitor_default_queue_id() -> int | None:
    return Queue.objects.filter(active=True).order_by("id").values_list("pk", flat=True).first()


def visitor_chat_start(
    *,
    visitor_key: str,
    queue_id: int | None = None,
    visitor_name: str = "",
    visitor_email: str = "",
    email_signature: str = "",
    page_url: str = "",
    now: datetime | None = None,
) -> tuple[Chat, str]:
    """Start (or resume, for the same visitor key) a website chat; returns the chat and a fresh visitor token.

    With a valid ``email_signature`` the visitor's identity is verified; a resumed chat with the same e-mail
    that was a claim becomes verified too (the visitor logged in on the host page meanwhile)."""
    verified = visitor_identity_check(email=visitor_email, signature=email_signature)
    via = Chat.Verification.SIGNED_EMAIL if verified else ""
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
                    verified_via=via,
                )
                if (
                    verified
                    and not chat.created
                    and not chat.customer_verified
                    and chat.visitor_email.lower() == visitor_email.strip().lower()
                ):
                    try:
                        chat_customer_verify(chat_id=chat.pk, via=via)
                    except ChatError as exc:  # verified by a simultaneous start: fine
                        if exc.code != "already_verified":
                            raise
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

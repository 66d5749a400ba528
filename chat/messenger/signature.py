"""Meta's webhook signature: ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>``."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings

PREFIX = "sha256="


def sign(body: bytes, secret: str | None = None) -> str:
    secret = settings.MESSENGER_APP_SECRET if secret is None else secret
    return PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str | None) -> bool:
    """True only for a well-formed header whose HMAC matches, compared in constant time."""
    if not header or not header.startswith(PREFIX) or not settings.MESSENGER_APP_SECRET:
        return False
    return hmac.compare_digest(sign(body).encode(), header.strip().encode())

"""A small client of the Send API (``POST {MESSENGER_GRAPH_URL}/me/messages``).

Standard library only. Errors are sorted into retryable ones (network trouble,
timeouts, HTTP 429 and 5xx) and permanent ones (any other 4xx: a bad token, a
recipient who cannot be messaged), so that the task retries only what may work
the next time.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings


class SendError(Exception):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.message = message
        self.retryable = retryable


@dataclass
class SendResult:
    recipient_id: str
    message_id: str


def send_text(*, recipient_id: str, text: str) -> SendResult:
    base = settings.MESSENGER_GRAPH_URL.rstrip("/")
    url = f"{base}/me/messages?" + urllib.parse.urlencode({"access_token": settings.MESSENGER_PAGE_ACCESS_TOKEN})
    payload = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": {"text": text}}
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.MESSENGER_SEND_TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        detail = _graph_error(exc.read())
        retryable = exc.code == 429 or exc.code >= 500
        raise SendError(f"HTTP {exc.code}: {detail}" if detail else f"HTTP {exc.code}", retryable=retryable)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SendError(f"Send API unreachable: {reason}", retryable=True)
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = {}
    return SendResult(recipient_id=str(data.get("recipient_id", "")), message_id=str(data.get("message_id", "")))


def _graph_error(body: bytes) -> str:
    """The ``error.message`` of a Graph API error body, or its first bytes."""
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return body[:200].decode(errors="replace")
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)[:500]
    return str(data)[:200]

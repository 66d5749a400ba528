"""A small client of the Send API (``POST {MESSENGER_GRAPH_URL}/me/messages``).

Standard library only (``http.client``), because what matters here is *where* a
call failed, and ``http.client`` lets the connection be opened as a step of its
own. Every failure is sorted by what it says about the reply:

* ``NOT_REACHED`` — Graph provably did not process the request: the connection
  (DNS, TCP, TLS, a proxy's tunnel) could not be opened within the timeout, or
  Graph refused to handle it (HTTP 429, HTTP 503, a throttling error code). Safe
  to send again automatically.
* ``REJECTED`` — Graph answered that it will not send it (any other 4xx: a bad
  token, a recipient outside the messaging window). Sending it again as it is
  will not help.
* ``UNCONFIRMED`` — the request went out and no clear answer came back (a read
  timeout, a connection dropped after the request was written, 500/502/504 and
  other 5xx). The customer may or may not have the reply; the Send API has no
  idempotency key, so only a person may decide to send it again.

The page access token travels in the ``Authorization: Bearer`` header, never in
the URL (where proxies and access logs keep it), with ``appsecret_proof`` =
hex HMAC-SHA256(app secret, token) as a query parameter. Nothing here logs the
token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings

NOT_REACHED = "not_reached"
REJECTED = "rejected"
UNCONFIRMED = "unconfirmed"

# Graph error codes that mean "throttled, not processed", whatever the HTTP status
# (Graph often answers rate limits with 400 or 403): application, user, page and
# per-call limits.
THROTTLED_CODES = frozenset({4, 17, 32, 613})


class SendError(Exception):
    def __init__(self, message: str, *, outcome: str):
        super().__init__(message)
        self.message = message
        self.outcome = outcome

    @property
    def retryable(self) -> bool:
        return self.outcome == NOT_REACHED


@dataclass
class SendResult:
    recipient_id: str
    message_id: str


def appsecret_proof(access_token: str, app_secret: str | None = None) -> str:
    """Meta's proof that the caller also holds the app secret: hex HMAC-SHA256(app secret, token)."""
    secret = settings.MESSENGER_APP_SECRET if app_secret is None else app_secret
    return hmac.new(secret.encode(), access_token.encode(), hashlib.sha256).hexdigest()


def send_text(*, recipient_id: str, text: str, quick_replies: list[dict] | None = None) -> SendResult:
    """Send one text message; raises :class:`SendError` with its outcome on any failure.

    ``quick_replies``: buttons offered under the message (``[{"title", "payload"}]``, text quick replies; the
    customer's tap comes back as a message with ``quick_reply.payload``).
    ``MESSENGER_SEND_TIMEOUT_SECONDS`` bounds the connection, and then again the
    rest of the call (writing the request and waiting for the answer)."""
    token = settings.MESSENGER_PAGE_ACCESS_TOKEN
    base = urllib.parse.urlsplit(settings.MESSENGER_GRAPH_URL.rstrip("/"))
    path = f"{base.path}/me/messages?" + urllib.parse.urlencode({"appsecret_proof": appsecret_proof(token)})
    message: dict = {"text": text}
    if quick_replies:
        message["quick_replies"] = [
            {"content_type": "text", "title": str(reply["title"]), "payload": str(reply["payload"])}
            for reply in quick_replies
        ]
    payload = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
    body = json.dumps(payload).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Content-Length": str(len(body)),
    }
    timeout = float(settings.MESSENGER_SEND_TIMEOUT_SECONDS)
    connection = _connection(base, timeout)
    try:
        try:
            connection.connect()
        except (OSError, http.client.HTTPException) as exc:
            # DNS failure, connection refused, connect timeout, TLS handshake, a proxy that could not
            # open the tunnel: not one byte of the request was written.
            raise SendError(f"Send API unreachable: {_reason(exc)}", outcome=NOT_REACHED)
        deadline = time.monotonic() + timeout
        connection.sock.settimeout(timeout)
        try:
            connection.request("POST", path, body=body, headers=headers)
            connection.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            response = connection.getresponse()
            status = response.status
            raw = response.read()
        except TimeoutError:
            raise SendError(f"No answer from the Send API within {timeout:g} s", outcome=UNCONFIRMED)
        except (OSError, http.client.HTTPException) as exc:
            raise SendError(f"Connection lost after the request was sent: {_reason(exc)}", outcome=UNCONFIRMED)
    finally:
        connection.close()
    if 200 <= status < 300:
        data = _json(raw)
        data = data if isinstance(data, dict) else {}
        return SendResult(recipient_id=str(data.get("recipient_id", "")), message_id=str(data.get("message_id", "")))
    detail, code = _graph_error(raw)
    message = f"HTTP {status}: {detail}" if detail else f"HTTP {status}"
    if status in (429, 503) or code in THROTTLED_CODES:
        raise SendError(message, outcome=NOT_REACHED)
    if 400 <= status < 500:
        raise SendError(message, outcome=REJECTED)
    raise SendError(message, outcome=UNCONFIRMED)


def _connection(base: urllib.parse.SplitResult, timeout: float) -> http.client.HTTPConnection:
    """A connection to Graph; for an https URL through the proxy of ``https_proxy`` (a CONNECT
    tunnel) unless ``no_proxy`` names the host, as urllib does."""
    https = base.scheme == "https"
    host, port = base.hostname or "", base.port
    cls = http.client.HTTPSConnection if https else http.client.HTTPConnection
    proxy = urllib.request.getproxies().get("https") if https else None
    if proxy and not urllib.request.proxy_bypass(host):
        parsed = urllib.parse.urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        connection = cls(parsed.hostname, parsed.port or 8080, timeout=timeout)
        tunnel_headers = {}
        if parsed.username:
            credentials = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
            tunnel_headers["Proxy-Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
        connection.set_tunnel(host, port, headers=tunnel_headers)
        return connection
    return cls(host, port, timeout=timeout)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__


def _json(raw: bytes):
    try:
        return json.loads(raw or b"{}")
    except ValueError:
        return None


def _graph_error(raw: bytes) -> tuple[str, int | None]:
    """The ``error.message`` and ``error.code`` of a Graph API error body, or its first bytes."""
    data = _json(raw)
    if data is None:
        return raw[:200].decode(errors="replace"), None
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        code = error.get("code")
        return str(error.get("message") or error)[:500], code if isinstance(code, int) else None
    return str(data)[:200], None

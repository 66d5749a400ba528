"""Throttles. Every API view gets the anon/user throttles from the settings;
the public widget is throttled per visitor and per IP, the webhook per IP.
Rates: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment variables in the README).

Every throttle here counts in Django's default cache, which all web processes share (Redis when
``CACHE_URL`` is set, the database cache otherwise), takes the client's address from
``config.client_ip.client_ip`` (the same function as the login lockouts), and reads its rate when
it is built, i.e. once per request. Counting: docs/operations.md, "Abuse limits".
"""

from __future__ import annotations

import hashlib

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from config.client_ip import client_ip


class SharedRateThrottle(SimpleRateThrottle):
    """DRF's rate throttle with an atomic counter in the shared cache.

    DRF's own throttle reads a list of timestamps, appends one and writes the list back: two
    processes serving the same client at the same moment both write, and one request is lost.
    Here each window of ``duration`` seconds has a counter that the cache increments atomically
    (Redis ``INCR``), and the request is weighed against the current window plus the part of the
    previous window that still overlaps the last ``duration`` seconds (a sliding window). A refused
    request gives its count back, so a client that keeps retrying is let in again as soon as its
    rate falls under the limit, as with DRF's throttle.
    """

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's name; read per request, not at import
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_ident(self, request):
        return client_ip(request)

    def _window_key(self, window: int) -> str:
        return f"{self.key}:{window}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, offset = divmod(self.now, self.duration)
        self.window = int(window)
        self.offset = offset
        current = self._window_key(self.window)
        # A window's counter lives for two windows: it is still read as the previous one.
        self.cache.add(current, 0, timeout=2 * self.duration)
        try:
            count = self.cache.incr(current)
        except ValueError:  # expired between add() and incr()
            self.cache.set(current, 1, timeout=2 * self.duration)
            count = 1
        self.previous = self.cache.get(self._window_key(self.window - 1), 0)
        if self.previous * (1 - offset / self.duration) + count <= self.num_requests:
            return True
        try:
            self.current = self.cache.decr(current) if count > 0 else 0
        except ValueError:
            self.current = 0
        return self.throttle_failure()

    def wait(self):
        """Seconds until one more request would be allowed (the Retry-After header)."""
        limit, duration = self.num_requests, self.duration
        current, previous, offset = self.current, self.previous, self.offset
        if current + 1 <= limit:
            # Room in this window once enough of the previous one has slid out.
            if previous <= 0:
                return 0.0
            needed = duration * (1 - (limit - current - 1) / previous)
            return max(needed - offset, 0.0)
        # This window is full: wait for the next one, and for enough of this one to slide out.
        rest = duration - offset
        if limit <= 0:
            return rest + duration
        return rest + duration * (1 - (limit - 1) / current)


class AnonThrottle(SharedRateThrottle, AnonRateThrottle):
    """Every anonymous API request from one client address (scope ``anon``)."""


class UserThrottle(SharedRateThrottle, UserRateThrottle):
    """Every API request of one user, or of one address when anonymous (scope ``user``)."""


class WidgetIPThrottle(SharedRateThrottle):
    """Every widget request from one client address."""

    scope = "widget_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WidgetVisitorThrottle(SharedRateThrottle):
    """Every widget request of one visitor: his chat (token-authenticated
    requests) or his browser's visitor key (starting a chat)."""

    scope = "widget_visitor"

    def get_cache_key(self, request, view):
        chat = getattr(request, "auth", None)
        if chat is not None and getattr(chat, "pk", None):
            ident = f"chat-{chat.pk}"
        else:
            key = ""
            data = getattr(request, "data", None)
            if hasattr(data, "get"):
                key = str(data.get("visitor_key") or "")
            if not key:
                return None  # nothing identifies a visitor yet: the IP throttle still applies
            ident = "key-" + hashlib.sha256(key.encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}


class MessengerThrottle(SharedRateThrottle):
    """The webhook, per client address (Meta's servers)."""

    scope = "messenger"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

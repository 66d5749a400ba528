"""Throttles. Every API view gets the anon/user throttles from the settings;
the public widget is throttled per visitor and per IP, the webhook per IP.
Rates: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment variables in the README).

Every throttle here counts in Django's default cache, which all web processes share (Redis when
``CACHE_URL`` is set, the database cache otherwise), takes the client's address from
``core.client_ip.client_ip`` (the same function as the login lockouts), and reads its rate when
it is built, i.e. once per request. Counting: docs/operations.md, "Abuse limits".
"""

from __future__ import annotations

import hashlib
import math

from django.core.cache import caches
from django.core.cache.backends.memcached import PyLibMCCache, PyMemcacheCache
from django.core.cache.backends.redis import RedisCache
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from core.client_ip import client_ip

ATOMIC_INCREMENT_BACKENDS = (RedisCache, PyMemcacheCache, PyLibMCCache)


class SharedRateThrottle(SimpleRateThrottle):
    """DRF's rate throttle with an atomic counter in the shared cache.

    DRF's own throttle reads a list of timestamps, appends one and writes the list back: two
    processes serving the same client at the same moment both write, and one request is lost.
    Here each window of ``duration`` seconds has a counter that the cache increments atomically
    (Redis ``INCR``; the database cache reads and writes, see ``_add``), and the request is
    weighed against the current window plus the part of the previous window that still overlaps
    the last ``duration`` seconds (a sliding window). A refused request gives its count back, so
    a client that keeps retrying is let in again as soon as its rate falls under the limit, as
    with DRF's throttle.
    """

    @property
    def THROTTLE_RATES(self):  # noqa: N802 - DRF's name; read per request, not at import
        return api_settings.DEFAULT_THROTTLE_RATES

    def get_ident(self, request):
        return client_ip(request)

    def _window_key(self, window: int) -> str:
        return f"{self.key}:{window}"

    def _add(self, key: str, delta: int, lifetime: int) -> int:
        """Add ``delta`` to an existing counter and return it; ValueError when there is none.

        Redis and memcached increment atomically and keep the key's lifetime. Django's other
        backends (the database cache) read and write, and their write would give the counter the
        cache's default lifetime (300 s): the lifetime is written with it here.
        """
        cache = caches["default"]
        if isinstance(cache, ATOMIC_INCREMENT_BACKENDS):
            return cache.incr(key, delta)
        value = cache.get(key)
        if value is None:
            raise ValueError(key)
        cache.set(key, value + delta, lifetime)
        return value + delta

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        cache = caches["default"]
        self.now = self.timer()
        window, offset = divmod(self.now, self.duration)
        self.window, self.offset = int(window), offset
        current = self._window_key(self.window)
        # A window's counter lives until the end of the next window, which still reads it.
        lifetime = max(1, math.ceil((self.window + 2) * self.duration - self.now))
        if isinstance(cache, RedisCache):
            count, self.previous = self._count_redis(cache, current, lifetime)
        else:
            try:
                count = self._add(current, 1, lifetime)
            except ValueError:  # the window's first request, or two first requests at once
                count = 1 if cache.add(current, 1, lifetime) else self._add(current, 1, lifetime)
            self.previous = cache.get(self._window_key(self.window - 1), 0)
        if self.previous * (1 - offset / self.duration) + count <= self.num_requests:
            return True
        try:
            self.current = self._add(current, -1, lifetime)  # a refused request is not counted
        except ValueError:
            self.current = 0
        return self.throttle_failure()

    def _count_redis(self, cache, current: str, lifetime: int) -> tuple[int, int]:
        """This window's count after this request and the previous window's, in one round trip: INCR (which
        creates a missing counter), its lifetime when it did not have one yet (EXPIRE NX), GET the previous.
        Django's Redis serializer keeps integers as they are, so ``cache.get`` and these read the same."""
        names = [cache.make_and_validate_key(current), cache.make_and_validate_key(self._window_key(self.window - 1))]
        pipe = cache._cache.get_client(names[0], write=True).pipeline(transaction=False)
        pipe.incr(names[0])
        pipe.expire(names[0], lifetime, nx=True)
        pipe.get(names[1])
        count, _expiry, previous = pipe.execute()
        return int(count), int(previous or 0)

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

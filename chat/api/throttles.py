"""Throttles. Every API view gets DRF's anon/user throttles from the settings;
the public widget is throttled per visitor and per IP, the webhook per IP.
Rates: ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (environment variables in the README)."""

from __future__ import annotations

import hashlib

from rest_framework.throttling import SimpleRateThrottle


class WidgetIPThrottle(SimpleRateThrottle):
    """Every widget request from one client address."""

    scope = "widget_ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class WidgetVisitorThrottle(SimpleRateThrottle):
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


class MessengerThrottle(SimpleRateThrottle):
    """The webhook, per client address (Meta's servers)."""

    scope = "messenger"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

"""The push channel's addresses, each behind the origin check that fits it (config/asgi.py mounts them).

The inbox's socket carries the agent's session cookie, so only pages of Parley's own hosts may open it
(ALLOWED_HOSTS: a foreign page cannot ride on an agent's cookie). The widget's socket is opened by the
host pages of the site owner, the origins allowed for the widget's API (WIDGET_ALLOWED_ORIGINS); it
carries no cookie and proves itself with the visitor token in its first message.
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator, OriginValidator
from django.conf import settings
from django.urls import path

from .consumers import InboxConsumer, WidgetConsumer


class WidgetOriginValidator(OriginValidator):
    """The widget's origins as the settings say now (the same list as the widget API's CORS), not at import."""

    def __init__(self, application):
        super().__init__(application, [])

    def valid_origin(self, parsed_origin) -> bool:
        self.allowed_origins = list(settings.CORS_ALLOWED_ORIGINS)
        return super().valid_origin(parsed_origin)


websocket_urlpatterns = [
    path("ws/inbox/", AllowedHostsOriginValidator(AuthMiddlewareStack(InboxConsumer.as_asgi()))),
    path("ws/widget/", WidgetOriginValidator(WidgetConsumer.as_asgi())),
]

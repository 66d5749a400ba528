"""The inbox socket's address (config/asgi.py mounts it beside the widget's, chat/widget/routing.py).

It carries the agent's session cookie, so only pages of Parley's own hosts may open it (ALLOWED_HOSTS: a foreign
page cannot ride on an agent's cookie).
"""

from __future__ import annotations

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from .consumers import FloorConsumer, InboxConsumer

inbox_websocket_urlpatterns = [
    path("ws/inbox/", AllowedHostsOriginValidator(AuthMiddlewareStack(InboxConsumer.as_asgi()))),
    # The supervisor's live floor (staff only).
    path("ws/floor/", AllowedHostsOriginValidator(AuthMiddlewareStack(FloorConsumer.as_asgi()))),
]

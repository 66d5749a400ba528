"""The widget socket's address (config/asgi.py mounts it beside the inbox's, chat/live/routing.py).

It is opened by the host pages of the site owner, the origins allowed for the widget's API
(WIDGET_ALLOWED_ORIGINS, the CORS list); it carries no cookie and proves itself with the visitor token in its
first message.
"""

from __future__ import annotations

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.urls import path

from .consumers import WidgetConsumer


class WidgetOriginValidator(OriginValidator):
    """The widget's origins as the settings say now (the same list as the widget API's CORS), not at import."""

    def __init__(self, application):
        super().__init__(application, [])

    def valid_origin(self, parsed_origin) -> bool:
        self.allowed_origins = list(settings.CORS_ALLOWED_ORIGINS)
        return super().valid_origin(parsed_origin)


widget_websocket_urlpatterns = [path("ws/widget/", WidgetOriginValidator(WidgetConsumer.as_asgi()))]

"""ASGI entry point: the pages and the API over HTTP, the push channel over WebSocket (docs/live.md).

Without DJANGO_SETTINGS_MODULE it serves the production settings (see wsgi.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# Every request runs in a new thread here (asgiref's thread-sensitive context), so a per-thread connection would
# be opened for each: the server takes its PostgreSQL connections from a pool instead (config/settings/env.py).
_pool_chosen_here = "DATABASE_POOL" not in os.environ
os.environ.setdefault("DATABASE_POOL", "true")
# Django's apps must be loaded before the consumers' modules import models: the imports below wait for it.
django_asgi_app = get_asgi_application()
if _pool_chosen_here:  # read by the settings just loaded; a process started from here chooses for itself
    del os.environ["DATABASE_POOL"]

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chat.live.routing import inbox_websocket_urlpatterns  # noqa: E402
from chat.services.live.publisher import publisher  # noqa: E402
from chat.widget.routing import widget_websocket_urlpatterns  # noqa: E402

publisher.enable()  # a server: its services publish the live events in the background (docs/live.md)

application = ProtocolTypeRouter(
    {"http": django_asgi_app, "websocket": URLRouter(inbox_websocket_urlpatterns + widget_websocket_urlpatterns)}
)

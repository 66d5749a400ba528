"""``config.asgi`` with the static files served from the finders, as pytest-django's live server serves them (the
test settings collect none): the application of the browser tests' ASGI servers, in a thread or a process."""

from channels.routing import ProtocolTypeRouter
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from config.asgi import application as _application
from config.asgi import django_asgi_app

application = ProtocolTypeRouter(
    {"http": ASGIStaticFilesHandler(django_asgi_app), "websocket": _application.application_mapping["websocket"]}
)

"""``/health/live`` and ``/health/ready`` (with or without the trailing slash), answered before any other
middleware: no session, language, CSRF, login lockout, HTTPS redirect or ``ALLOWED_HOSTS`` check (a probe
calls the instance by its address, over plain HTTP), and never cached (docs/operations.md, "Health").

First in ``MIDDLEWARE``. Sync and async: under the ASGI server the readiness checks run off the event loop.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpResponseNotAllowed, JsonResponse
from django.utils.cache import add_never_cache_headers

from core.health.probe import readiness

LIVE_PATHS = frozenset({"/health/live", "/health/live/"})
READY_PATHS = frozenset({"/health/ready", "/health/ready/"})


def live_response(request):
    """The process answers: no database, broker or cache is touched."""
    return _json({"status": "ok"}, 200)


def ready_response(request):
    """200 when every readiness check passes, else 503; one entry per check."""
    ok, checks = readiness()
    response = _json({"status": "ok" if ok else "failing", "checks": checks}, 200 if ok else 503)
    # core.health.probe logged the failing checks as a warning; not Django's "Service Unavailable" error line on
    # every probe of a load balancer too.
    response._has_been_logged = True
    return response


def _json(data, status):
    response = JsonResponse(data, status=status)
    add_never_cache_headers(response)
    return response


class HealthMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    @staticmethod
    def _view(request):
        if request.path_info in LIVE_PATHS:
            return live_response
        if request.path_info in READY_PATHS:
            return ready_response
        return None

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        view = self._view(request)
        if view is None:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        return view(request)

    async def __acall__(self, request):
        view = self._view(request)
        if view is None:
            return await self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if view is live_response:
            return live_response(request)
        return await sync_to_async(ready_response, thread_sensitive=False)(request)

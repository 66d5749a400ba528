"""``/metrics`` for Prometheus, and every other request counted and timed by its view (docs/operations.md,
"Metrics").

Second in ``MIDDLEWARE``, after the health middleware: ``/metrics`` answers before any session, CSRF, language,
HTTPS redirect or ``ALLOWED_HOSTS`` check (a scraper calls the instance by its address, over plain HTTP) and is
never cached nor logged per request (a scrape every 15 s would drown the logs); who may read it is
``core.metrics.access``. Probes of ``/health/*`` are neither counted nor timed (the health middleware answers
them first).

A request is labelled by the name of the view its URL resolved to (``chat:inbox``, ``api-chat-detail``; the
route pattern for an unnamed one), never by its path (ids would make a series per chat): ``<unresolved>`` when no
view ran (a static file, a redirect or refusal by a middleware, a page not found).
"""

from __future__ import annotations

import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.db import connections
from django.http import HttpResponse, HttpResponseForbidden, HttpResponseNotAllowed, HttpResponseNotFound
from django.utils.cache import add_never_cache_headers
from prometheus_client import CONTENT_TYPE_LATEST

from core.metrics.access import may_scrape, metrics_enabled
from core.metrics.exposition import scrape
from core.metrics.instruments import HTTP_DURATION, HTTP_REQUESTS

METRICS_PATHS = frozenset({"/metrics", "/metrics/"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNRESOLVED = "<unresolved>"


def metrics_response(request) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    if not metrics_enabled():
        return HttpResponseNotFound()
    if not may_scrape(request):
        response = HttpResponseForbidden("Forbidden: set PARLEY_METRICS_TOKEN or PARLEY_METRICS_ALLOWED_IPS.\n")
    else:
        response = HttpResponse(scrape(), content_type=CONTENT_TYPE_LATEST)
    add_never_cache_headers(response)
    return response


def _metrics_response_in_thread(request) -> HttpResponse:
    try:
        return metrics_response(request)
    finally:
        connections.close_all()  # this pool thread's connections (given back to the pool, if any)


def view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return match.view_name or match.route or UNRESOLVED


def record(request, response, started: float) -> None:
    view = view_label(request)
    method = request.method if request.method in METHODS else "other"
    HTTP_REQUESTS.labels(view=view, method=method, status=str(response.status_code)).inc()
    HTTP_DURATION.labels(view=view).observe(time.perf_counter() - started)


class MetricsMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        if request.path_info in METRICS_PATHS:
            return metrics_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        record(request, response, started)
        return response

    async def __acall__(self, request):
        if request.path_info in METRICS_PATHS:
            # The database's figures are read in a thread of the pool, off the event loop.
            return await sync_to_async(_metrics_response_in_thread, thread_sensitive=False)(request)
        started = time.perf_counter()
        response = await self.get_response(request)
        record(request, response, started)
        return response

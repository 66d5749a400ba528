"""Parley's URLs plus the bare view that ``manage.py bench_web`` measures everything against.

Served only when the bench starts the server with ``PARLEY_BENCH_URLS=1`` (config/settings/production.py):
never in a normal deployment."""

from django.http import JsonResponse
from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as parley_urlpatterns


def bare(request):
    """The yardstick: Django's middleware and a JsonResponse, nothing else."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), *parley_urlpatterns]

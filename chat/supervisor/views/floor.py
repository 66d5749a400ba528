"""The live floor (``/supervisor/``): the page, and its body that the page fetches again when the push channel
says something changed (docs/supervisor.md, "The live floor")."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from chat.reports.floor import floor_get

from .common import staff_view


def _context() -> dict:
    return {"section": "floor", "floor": floor_get()}


@require_GET
@staff_view
def floor(request):
    return render(request, "supervisor/floor.html", _context())


@require_GET
@staff_view
def floor_body(request):
    return render(request, "supervisor/_floor_body.html", _context())

"""The live floor (``/supervisor/``)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from .common import staff_view


@require_GET
@staff_view
def floor(request):
    return render(request, "supervisor/floor.html", {"section": "floor"})

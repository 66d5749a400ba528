"""The views that serve the OpenAPI schema (/api/schema/) and Swagger UI (/api/docs/).

Public only with ``API_DOCS_PUBLIC`` (on in the local settings, off elsewhere): the schema
lists every operation and field of the API, which nobody outside needs to read.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response


def docs_are_public() -> bool:
    return bool(getattr(settings, "API_DOCS_PUBLIC", False))


class ParleySchemaView(SpectacularAPIView):
    """``/api/schema/``: public only with ``API_DOCS_PUBLIC``; otherwise any signed-in user (token or session),
    and an anonymous request gets a 401 JSON error like every other API answer (not YAML)."""

    def get_permissions(self):
        return [AllowAny()] if docs_are_public() else [IsAuthenticated()]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = "application/json"
        return response


class ParleySwaggerView(SpectacularSwaggerSplitView):
    """``/api/docs/``: public only with ``API_DOCS_PUBLIC``; otherwise an anonymous visitor is sent to the
    login page (``LOGIN_URL``, the admin's) and comes back here. The split view serves its script as a
    file of its own (``?script``), so the page carries no inline script under the Content-Security-Policy."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        if not docs_are_public() and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().get(request, *args, **kwargs)

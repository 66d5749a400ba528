"""URLs of the REST API under /api/v1/. Each app contributes its own patterns (their paths do not overlap)."""

from django.urls import include, path

app_name = "api"
urlpatterns: list = [
    path("", include("chat.api.urls")),
    path("", include("agents.api.urls")),
    path("", include("crm.api.urls")),
    path("", include("privacy.api.urls")),
]

"""The privacy requests' REST routes (mounted under /api/v1/ by config.api_router)."""

from django.urls import path

from privacy.api import views

app_name = "privacy_api"
urlpatterns: list = [
    path("privacy/export/", views.PrivacyExportApi.as_view(), name="privacy-export"),
    path("privacy/erase/", views.PrivacyEraseApi.as_view(), name="privacy-erase"),
    path("privacy/requests/", views.PrivacyRequestListApi.as_view(), name="privacy-request-list"),
]

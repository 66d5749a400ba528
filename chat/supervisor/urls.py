"""The supervisor's pages under /supervisor/ (staff only)."""

from django.urls import path

from chat.supervisor.views import floor, reports

app_name = "supervisor"
urlpatterns: list = [
    path("", floor.floor, name="floor"),
    path("reports/", reports.reports, name="reports"),
    path("reports/<slug:name>/", reports.report, name="report"),
]

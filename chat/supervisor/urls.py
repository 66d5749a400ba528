"""The supervisor's pages under /supervisor/ (staff only)."""

from django.urls import path

from chat.supervisor.views import floor

app_name = "supervisor"
urlpatterns: list = [
    path("", floor.floor, name="floor"),
    path("floor/body/", floor.floor_body, name="floor_body"),
]

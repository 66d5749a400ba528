"""The agents' REST routes (mounted under /api/v1/ by config.api_router)."""

from django.urls import path

from agents.api import views

app_name = "agents_api"
urlpatterns: list = [
    path("pause-types/", views.PauseTypeListApi.as_view(), name="pause-type-list"),
    path("pause-types/<int:pause_type_id>/", views.PauseTypeDetailApi.as_view(), name="pause-type-detail"),
    path("agents/", views.AgentListApi.as_view(), name="agent-list"),
    path("agents/<str:agent>/", views.AgentDetailApi.as_view(), name="agent-detail"),
    path("agents/<str:agent>/presence/", views.AgentPresenceApi.as_view(), name="agent-presence"),
]

"""The agents' REST routes (mounted under /api/v1/ by config.api_router; the agents themselves are chat.api's:
chat/api/views/agents.py)."""

from django.urls import path

from agents.api import views

app_name = "agents_api"
urlpatterns: list = [
    path("pause-types/", views.PauseTypeListApi.as_view(), name="pause-type-list"),
    path("pause-types/<int:pause_type_id>/", views.PauseTypeDetailApi.as_view(), name="pause-type-detail"),
    path("agents/<str:agent>/presence/", views.AgentPresenceApi.as_view(), name="agent-presence"),
    path("tokens/", views.ApiTokenListApi.as_view(), name="token-list"),
    path("tokens/<int:token_id>/", views.ApiTokenDetailApi.as_view(), name="token-detail"),
]

"""REST API routes (mounted under /api/v1/ by config.api_router)."""

app_name = "chat_api"
urlpatterns: list = []

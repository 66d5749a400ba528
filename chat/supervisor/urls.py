"""The supervisor's pages under /supervisor/ (staff only)."""

from django.urls import path

from chat.supervisor.views import actions, floor, reports

app_name = "supervisor"
urlpatterns: list = [
    path("", floor.floor, name="floor"),
    path("floor/body/", floor.floor_body, name="floor_body"),
    # The supervisor's actions (POST only; docs/supervisor.md): each goes back to ``next`` with a flash message.
    path("chats/<int:chat_id>/assign/", actions.chat_assign, name="chat_assign"),
    path("chats/<int:chat_id>/join/", actions.chat_join, name="chat_join"),
    path("chats/<int:chat_id>/whisper/", actions.chat_whisper, name="chat_whisper"),
    path("chats/<int:chat_id>/take-over/", actions.chat_take_over, name="chat_take_over"),
    path("agents/<int:agent_id>/pause/", actions.agent_pause, name="agent_pause"),
    path("agents/<int:agent_id>/logout/", actions.agent_logout, name="agent_logout"),

    path("reports/", reports.reports, name="reports"),
    path("reports/<slug:name>/", reports.report, name="report"),
]

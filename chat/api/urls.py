"""Chat's REST routes (mounted under /api/v1/ by config.api_router; agents.api and crm.api add theirs)."""

from django.urls import path

from chat.api.views import agents, attachments, canned, chats, messages, queues, reports, settings, supervision

app_name = "chat_api"
urlpatterns: list = [
    path("settings/", settings.SettingsApi.as_view(), name="settings"),
    path("queues/", queues.QueueListApi.as_view(), name="queue-list"),
    path("queues/<int:queue_id>/", queues.QueueDetailApi.as_view(), name="queue-detail"),
    path("queues/<int:queue_id>/hours/", queues.QueueHoursApi.as_view(), name="queue-hours"),
    path("queues/<int:queue_id>/members/", queues.QueueMemberListApi.as_view(), name="queue-member-list"),
    path("queues/<int:queue_id>/members/<int:agent_id>/", queues.QueueMemberDetailApi.as_view(),
         name="queue-member-detail"),
    path("agents/", agents.AgentListApi.as_view(), name="agent-list"),
    path("agents/<str:agent>/", agents.AgentDetailApi.as_view(), name="agent-detail"),
    path("agents/<str:agent>/queues/", agents.AgentQueuesApi.as_view(), name="agent-queues"),
    path("canned-responses/", canned.CannedResponseListApi.as_view(), name="canned-response-list"),
    path("canned-responses/<int:canned_id>/", canned.CannedResponseDetailApi.as_view(),
         name="canned-response-detail"),
    path("customers/<int:customer_id>/chats/", chats.CustomerChatsApi.as_view(), name="customer-chats"),
    path("dispositions/", chats.DispositionListApi.as_view(), name="disposition-list"),
    path("chats/", chats.ChatListApi.as_view(), name="chat-list"),
    path("chats/<int:chat_id>/", chats.ChatDetailApi.as_view(), name="chat-detail"),
    path("chats/<int:chat_id>/events/", chats.ChatEventsApi.as_view(), name="chat-events"),
    path("chats/<int:chat_id>/messages/", messages.ChatMessagesApi.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/messages/<int:message_id>/resend/", messages.ChatMessageResendApi.as_view(),
         name="chat-message-resend"),
    path("chats/<int:chat_id>/assign/", chats.ChatAssignApi.as_view(), name="chat-assign"),
    path("chats/<int:chat_id>/transfer/", chats.ChatTransferApi.as_view(), name="chat-transfer"),
    path("chats/<int:chat_id>/close/", chats.ChatCloseApi.as_view(), name="chat-close"),
    path("chats/<int:chat_id>/confirm-customer/", chats.ChatConfirmCustomerApi.as_view(),
         name="chat-confirm-customer"),
    # The supervisor's actions (staff only; docs/supervisor.md).
    path("chats/<int:chat_id>/supervise/assign/", supervision.ChatSuperviseAssignApi.as_view(),
         name="chat-supervise-assign"),
    path("chats/<int:chat_id>/supervise/join/", supervision.ChatSuperviseJoinApi.as_view(), name="chat-supervise-join"),
    path("chats/<int:chat_id>/supervise/whisper/", supervision.ChatSuperviseWhisperApi.as_view(),
         name="chat-supervise-whisper"),
    path("chats/<int:chat_id>/supervise/take-over/", supervision.ChatSuperviseTakeOverApi.as_view(),
         name="chat-supervise-take-over"),
    path("agents/<int:agent_id>/pause/", supervision.AgentPauseApi.as_view(), name="agent-supervise-pause"),
    path("agents/<int:agent_id>/logout/", supervision.AgentLogoutApi.as_view(), name="agent-supervise-logout"),
    path("attachments/", attachments.AttachmentUploadApi.as_view(), name="attachment-upload"),
    path("attachments/<int:attachment_id>/", attachments.AttachmentDetailApi.as_view(), name="attachment-detail"),
    path("attachments/<int:attachment_id>/download/", attachments.AttachmentDownloadApi.as_view(),
         name="attachment-download"),
    path("reports/", reports.ReportListApi.as_view(), name="report-list"),
    path("reports/<str:name>/", reports.ReportDetailApi.as_view(), name="report-detail"),
]

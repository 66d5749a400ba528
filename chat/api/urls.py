"""REST API routes (mounted under /api/v1/ by config.api_router)."""

from django.urls import path

from chat.api import views

app_name = "chat_api"
urlpatterns: list = [
    path("settings/", views.SettingsApi.as_view(), name="settings"),
    path("pause-types/", views.PauseTypeListApi.as_view(), name="pause-type-list"),
    path("pause-types/<int:pause_type_id>/", views.PauseTypeDetailApi.as_view(), name="pause-type-detail"),
    path("queues/", views.QueueListApi.as_view(), name="queue-list"),
    path("queues/<int:queue_id>/", views.QueueDetailApi.as_view(), name="queue-detail"),
    path("queues/<int:queue_id>/members/", views.QueueMemberListApi.as_view(), name="queue-member-list"),
    path("queues/<int:queue_id>/members/<int:agent_id>/", views.QueueMemberDetailApi.as_view(),
         name="queue-member-detail"),
    path("agents/", views.AgentListApi.as_view(), name="agent-list"),
    path("agents/<str:agent>/", views.AgentDetailApi.as_view(), name="agent-detail"),
    path("agents/<str:agent>/presence/", views.AgentPresenceApi.as_view(), name="agent-presence"),
    path("customers/", views.CustomerListApi.as_view(), name="customer-list"),
    path("customers/<int:customer_id>/", views.CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<int:customer_id>/chats/", views.CustomerChatsApi.as_view(), name="customer-chats"),
    path("chats/", views.ChatListApi.as_view(), name="chat-list"),
    path("chats/<int:chat_id>/", views.ChatDetailApi.as_view(), name="chat-detail"),
    path("chats/<int:chat_id>/messages/", views.ChatMessagesApi.as_view(), name="chat-messages"),
    path("chats/<int:chat_id>/messages/<int:message_id>/resend/", views.ChatMessageResendApi.as_view(),
         name="chat-message-resend"),
    path("chats/<int:chat_id>/assign/", views.ChatAssignApi.as_view(), name="chat-assign"),
    path("chats/<int:chat_id>/transfer/", views.ChatTransferApi.as_view(), name="chat-transfer"),
    path("chats/<int:chat_id>/close/", views.ChatCloseApi.as_view(), name="chat-close"),
    path("chats/<int:chat_id>/confirm-customer/", views.ChatConfirmCustomerApi.as_view(),
         name="chat-confirm-customer"),
    path("attachments/", views.AttachmentUploadApi.as_view(), name="attachment-upload"),
    path("attachments/<int:attachment_id>/", views.AttachmentDetailApi.as_view(), name="attachment-detail"),
    path("attachments/<int:attachment_id>/download/", views.AttachmentDownloadApi.as_view(),
         name="attachment-download"),
]

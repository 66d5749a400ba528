"""Public visitor API, mounted under /widget/v1/ by config/urls.py."""

from django.urls import path

from chat.widget import views

app_name = "widget"
urlpatterns = [
    path("config/", views.WidgetConfigApi.as_view(), name="config"),
    path("offline-messages/", views.WidgetOfflineMessageApi.as_view(), name="offline-message"),
    path("chats/", views.WidgetChatStartApi.as_view(), name="chat-start"),
    path("chats/<int:chat_id>/", views.WidgetChatDetailApi.as_view(), name="chat-detail"),
    path("chats/<int:chat_id>/messages/", views.WidgetMessagesApi.as_view(), name="messages"),
    path("chats/<int:chat_id>/heartbeat/", views.WidgetHeartbeatApi.as_view(), name="heartbeat"),
    path("chats/<int:chat_id>/page-closed/", views.WidgetPageClosedApi.as_view(), name="page-closed"),
    path("chats/<int:chat_id>/close/", views.WidgetChatCloseApi.as_view(), name="close"),
    path("chats/<int:chat_id>/rating/", views.WidgetChatRatingApi.as_view(), name="rating"),
    path("chats/<int:chat_id>/files/", views.WidgetFileUploadApi.as_view(), name="file-upload"),
    path("chats/<int:chat_id>/files/<int:attachment_id>/", views.WidgetFileDownloadApi.as_view(),
         name="file-download"),
]

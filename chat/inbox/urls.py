"""The agent inbox, mounted under /inbox/."""

from django.urls import path

from chat.inbox import views

app_name = "inbox"
urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.InboxLoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("live/", views.live, name="live"),
    path("presence/", views.presence_view, name="presence"),
    path("internal/", views.internal_start, name="internal_start"),
    path("chats/<int:chat_id>/", views.chat_detail, name="chat"),
    path("chats/<int:chat_id>/poll/", views.chat_poll, name="chat_poll"),
    path("chats/<int:chat_id>/messages/", views.message_create, name="message_create"),
    path("chats/<int:chat_id>/files/", views.file_upload, name="file_upload"),
    path("chats/<int:chat_id>/messages/<int:message_id>/resend/", views.message_resend, name="message_resend"),
    path("chats/<int:chat_id>/close/", views.chat_close_view, name="chat_close"),
    path("chats/<int:chat_id>/transfer/", views.chat_transfer_view, name="chat_transfer"),
    path("chats/<int:chat_id>/assign/", views.chat_assign_view, name="chat_assign"),
    path("chats/<int:chat_id>/confirm-customer/", views.chat_confirm_customer_view, name="chat_confirm_customer"),
    path("files/<str:token>/", views.file_download, name="file_download"),
]

"""The agent inbox, mounted under /inbox/."""

from django.urls import path

from chat.inbox.views import canned, chats, history, messages, pages, session

app_name = "inbox"
urlpatterns = [
    path("", pages.index, name="index"),
    path("login/", session.InboxLoginView.as_view(), name="login"),
    path("logout/", session.logout_view, name="logout"),
    path("live/", pages.live, name="live"),
    path("presence/", session.presence_view, name="presence"),
    path("notify/sound/", session.notify_sound_view, name="notify_sound"),
    path("internal/", chats.internal_start, name="internal_start"),
    path("canned/", canned.canned_list, name="canned"),
    path("canned/<int:canned_id>/", canned.canned_edit, name="canned_edit"),
    path("canned/<int:canned_id>/delete/", canned.canned_remove, name="canned_delete"),
    path("chats/<int:chat_id>/", pages.chat_detail, name="chat"),
    path("chats/<int:chat_id>/poll/", pages.chat_poll, name="chat_poll"),
    path("chats/<int:chat_id>/canned/", canned.canned_picker, name="canned_picker"),
    path("chats/<int:chat_id>/messages/", messages.message_create, name="message_create"),
    path("chats/<int:chat_id>/files/", messages.file_upload, name="file_upload"),
    path("chats/<int:chat_id>/messages/<int:message_id>/resend/", messages.message_resend, name="message_resend"),
    path("chats/<int:chat_id>/close/", chats.chat_close_view, name="chat_close"),
    path("chats/<int:chat_id>/transfer/", chats.chat_transfer_view, name="chat_transfer"),
    path("chats/<int:chat_id>/assign/", chats.chat_assign_view, name="chat_assign"),
    path("chats/<int:chat_id>/confirm-customer/", chats.chat_confirm_customer_view, name="chat_confirm_customer"),
    path("chats/<int:chat_id>/history/<int:earlier_id>/", history.history_detail, name="history"),
    path("chats/<int:chat_id>/transcript/", history.transcript_send, name="transcript_send"),
    path("search/", history.search, name="search"),
    path("chats/<int:chat_id>/customer/add/", chats.chat_customer_create_view, name="chat_customer_create"),
    path("chats/<int:chat_id>/customer/", chats.chat_customer_update_view, name="chat_customer_update"),
    path("files/<str:token>/", messages.file_download, name="file_download"),
]

from django.urls import path

from chat.messenger.views import MessengerWebhookApi

app_name = "messenger"
urlpatterns = [
    path("", MessengerWebhookApi.as_view(), name="webhook"),
]

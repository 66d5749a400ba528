"""What the widget API answers: a chat, its messages and their files, as the visitor may see them (an agent's
first name, never his account)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chat.models import Attachment, Chat, ChatSettings, Message
from chat.models.conditions import EXPIRED_FILE, RATEABLE
from chat.selectors import QueuePlace, chat_queue_place
from chat.services.availability import QueueAvailability
from chat.services.offline import OFFLINE_FILES_MAX, OFFLINE_MESSAGE_MAX, OFFLINE_NAME_MAX


class WidgetAttachmentOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name")
    expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "content_type", "expires_at", "expired", "download_url"]

    def get_expired(self, obj) -> bool:
        return EXPIRED_FILE.holds(obj, now=timezone.now())

    def get_download_url(self, obj) -> str:
        return reverse("widget:file-download", kwargs={"chat_id": obj.message.chat_id, "attachment_id": obj.pk})


class WidgetMessageOutput(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    attachments = WidgetAttachmentOutput(many=True, read_only=True)

    class Meta:
        model = Message
        fields = ["id", "sender", "author_name", "body", "created_at", "attachments"]

    def get_author_name(self, obj) -> str:
        if obj.sender == Message.Sender.AGENT and obj.author_id:
            return obj.author.first_name or obj.author.username
        return ""


class WidgetQueuePlaceOutput(serializers.Serializer):
    """The waiting chat's place in its queue (docs/routing.md, "The visitor's place in the queue")."""

    position = serializers.IntegerField(help_text="1 = the next chat the queue serves.")
    wait_seconds = serializers.IntegerField(
        allow_null=True, help_text="The estimated wait from the queue's recent pace; null when it assigned nothing in "
        "the last 30 minutes."
    )
    text = serializers.CharField(help_text="The sentence to show, in the request's language: \"You are 3rd in line, "
                                 "about 2 minutes.\"")


def place_output(place: QueuePlace | None) -> dict | None:
    """A place as the widget reads it (the chat's ``queue_place`` in the API, ``place`` in the push), its sentence
    in the active language."""
    return None if place is None else dict(WidgetQueuePlaceOutput(place).data)


class WidgetChatOutput(serializers.ModelSerializer):
    agent_name = serializers.SerializerMethodField()
    queue_place = serializers.SerializerMethodField(
        help_text="While the chat waits for dispatch: its place in the queue and the estimated wait; null otherwise "
        "(assigned, closed, or automatic assignment stopped)."
    )
    file_upload_enabled = serializers.SerializerMethodField()
    file_max_size_mb = serializers.SerializerMethodField()
    rating = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The visitor's rating of the closed chat, 1-5; null: not rated."
    )
    rating_open = serializers.SerializerMethodField(
        help_text="True when the widget should ask for a rating: the chat is closed, not rated yet, and the survey "
        "is on (POST rating/)."
    )

    class Meta:
        model = Chat
        fields = [
            "id",
            "status",
            "queue",
            "visitor_name",
            "visitor_email",
            "agent_name",
            "queue_place",
            "created_at",
            "closed_at",
            "close_reason",
            "file_upload_enabled",
            "file_max_size_mb",
            "rating",
            "rating_open",
        ]

    def get_agent_name(self, obj) -> str:
        if obj.agent_id and obj.status == Chat.Status.ASSIGNED:
            return obj.agent.first_name or obj.agent.username
        return ""

    @extend_schema_field(WidgetQueuePlaceOutput(allow_null=True))
    def get_queue_place(self, obj) -> dict | None:
        if obj.status != Chat.Status.WAITING:
            return None
        return place_output(chat_queue_place(chat_id=obj.pk))

    def get_file_upload_enabled(self, obj) -> bool:
        return ChatSettings.load().file_upload_enabled

    def get_file_max_size_mb(self, obj) -> int:
        return ChatSettings.load().file_max_size_mb

    def get_rating_open(self, obj) -> bool:
        return RATEABLE.holds(obj) and ChatSettings.load().rating_survey_enabled


class WidgetRatingOutput(serializers.ModelSerializer):
    """The rating as stored (``POST chats/{id}/rating/``)."""

    score = serializers.IntegerField(source="rating", help_text="1 (very poor) to 5 (excellent).")
    comment = serializers.CharField(source="rating_comment")

    class Meta:
        model = Chat
        fields = ["score", "comment", "rated_at"]

class WidgetConfigOutput(serializers.Serializer):
    """The widget's first read (``GET /widget/v1/config/``): the live chat or the offline form."""

    queue = serializers.IntegerField()
    live = serializers.BooleanField(help_text="True: the pre-chat form and a live chat; false: the offline form.")
    offline_reason = serializers.ChoiceField(
        choices=["", "closed", "no_agents"],
        help_text="\"\" when live; \"closed\": outside business hours; \"no_agents\": nobody of the queue is logged "
        "in and the queue is set to go offline then.",
    )
    next_opening = serializers.DateTimeField(
        allow_null=True, help_text="When closed: the next opening (null when none within about a year, or not closed)."
    )
    text = serializers.CharField(
        allow_blank=True, help_text="The sentence to show, in the request's language, the opening in the queue's time "
        "zone: \"We are closed now. We open on Monday at 08:00.\" (\"\" when live)."
    )
    file_upload_enabled = serializers.BooleanField()
    file_max_size_mb = serializers.IntegerField()
    message_max_length = serializers.IntegerField()
    name_max_length = serializers.IntegerField()
    files_max = serializers.IntegerField(help_text="Files one offline message may carry.")


def config_output(availability: QueueAvailability) -> dict:
    card = ChatSettings.load()
    return dict(
        WidgetConfigOutput(
            {
                "queue": availability.queue.pk,
                "live": availability.live,
                "offline_reason": availability.reason,
                "next_opening": availability.next_opening,
                "text": availability.text,
                "file_upload_enabled": card.file_upload_enabled,
                "file_max_size_mb": card.file_max_size_mb,
                "message_max_length": OFFLINE_MESSAGE_MAX,
                "name_max_length": OFFLINE_NAME_MAX,
                "files_max": OFFLINE_FILES_MAX,
            }
        ).data
    )

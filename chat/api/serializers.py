"""Output serializers shared by the API's views (inputs are nested in each view)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import PauseType, Presence, User
from chat.models import Attachment, Chat, Message, Queue, QueueMembership
from crm.models import Customer


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "A message (401, 403, 404, 429, malformed JSON) or a list of messages (a service's refusal).",
    }
)
class ErrorDetailField(serializers.JSONField):
    pass


class ErrorOutput(serializers.Serializer):
    """Every error. Field errors add ``"<field>": ["message", ...]`` keys beside these."""

    detail = ErrorDetailField(required=False)
    code = serializers.CharField(required=False, help_text="A short stable code of a service's refusal.")
    limit_bytes = serializers.IntegerField(
        required=False, help_text="413 only: the limit, in bytes, that the body or the file passed."
    )


class PauseTypeOutput(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="The name in the interface language.")

    class Meta:
        model = PauseType
        fields = ["id", "code", "name", "label", "built_in"]


class QueueMemberOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="agent.username", read_only=True)

    class Meta:
        model = QueueMembership
        fields = ["agent", "username", "priority"]


class QueueOutput(serializers.ModelSerializer):
    members = QueueMemberOutput(source="memberships", many=True, read_only=True)

    class Meta:
        model = Queue
        fields = ["id", "name", "description", "active", "members"]


class PresenceOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="agent.username", read_only=True)
    status = serializers.SerializerMethodField()
    available = serializers.BooleanField(read_only=True)

    class Meta:
        model = Presence
        fields = [
            "agent",
            "username",
            "logged_in",
            "pause_type",
            "on_phone_call",
            "available",
            "status",
            "open_chats",
            "last_assigned_at",
            "changed_at",
        ]

    def get_status(self, obj: Presence) -> str:
        """``logged_out``, ``paused`` or ``available``."""
        if not obj.logged_in:
            return "logged_out"
        return "paused" if obj.pause_type_id else "available"


class AgentOutput(serializers.ModelSerializer):
    presence = serializers.SerializerMethodField()
    queues = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "first_name", "last_name", "email", "is_staff", "is_active", "presence", "queues"]

    @extend_schema_field(PresenceOutput(allow_null=True))
    def get_presence(self, obj: User):
        presence = getattr(obj, "presence", None)
        return PresenceOutput(presence).data if presence is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_queues(self, obj: User) -> list[int]:
        return sorted(m.queue_id for m in obj.memberships.all())


class CustomerOutput(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email", "phone", "messenger_id", "owner", "vip", "created_at", "updated_at"]


class AttachmentOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    expired = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id", "message", "name", "size", "content_type", "created_at", "expires_at", "expired", "download_url"
        ]

    def get_expired(self, obj: Attachment) -> bool:
        return obj.expired_at is not None or obj.expires_at <= timezone.now()

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Attachment) -> str:
        return reverse("api:chat_api:attachment-download", kwargs={"attachment_id": obj.pk})


class MessageOutput(serializers.ModelSerializer):
    attachments = AttachmentOutput(many=True, read_only=True)
    delivery_status = serializers.ChoiceField(
        choices=Message.Delivery.choices,
        read_only=True,
        help_text=(
            "Messenger replies: pending (waiting to be sent), sending, sent, failed, or unknown (sent, but "
            "Messenger's answer never came: it may have arrived; POST resend/ to send it again). Empty for "
            "other messages."
        ),
    )

    class Meta:
        model = Message
        fields = [
            "id",
            "chat",
            "sender",
            "author",
            "body",
            "created_at",
            "delivery_status",
            "delivery_error",
            "delivery_attempts",
            "attachments",
        ]


class ChatOutput(serializers.ModelSerializer):
    auto_assign_stopped = serializers.SerializerMethodField()
    delivery_failures = serializers.SerializerMethodField(
        help_text="How many agent replies could not be delivered to Messenger."
    )
    last_delivery_error = serializers.SerializerMethodField()

    class Meta:
        model = Chat
        fields = [
            "id",
            "channel",
            "status",
            "queue",
            "agent",
            "initiator",
            "customer",
            "customer_verified",
            "customer_verified_via",
            "visitor_name",
            "visitor_email",
            "visitor_messenger_id",
            "page_url",
            "created_at",
            "queued_at",
            "assigned_at",
            "auto_assign_stopped",
            "auto_assign_stopped_at",
            "last_message_at",
            "last_client_message_at",
            "closed_at",
            "close_reason",
            "delivery_failures",
            "last_delivery_error",
        ]

    def get_auto_assign_stopped(self, obj: Chat) -> bool:
        return obj.auto_assign_stopped_at is not None

    def get_delivery_failures(self, obj: Chat) -> int:
        value = getattr(obj, "delivery_failures", None)
        if value is None:
            value = obj.messages.filter(delivery_status=Message.Delivery.FAILED).count()
        return value

    def get_last_delivery_error(self, obj: Chat) -> str:
        failed = (
            obj.messages.filter(delivery_status=Message.Delivery.FAILED).order_by("-id").values_list(
                "delivery_error", flat=True
            ).first()
            if self.get_delivery_failures(obj)
            else None
        )
        return failed or ""

"""Output serializers of the agents' API (inputs are nested in each view)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from agents.models import ApiToken, PauseType, Presence, User


class PauseTypeOutput(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text="The name in the interface language.")

    class Meta:
        model = PauseType
        fields = ["id", "code", "name", "label", "built_in"]


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


class ApiTokenOutput(serializers.ModelSerializer):
    """A token as staff see it: never its key (only a digest is stored), its first 4 characters to tell it."""

    username = serializers.CharField(source="user.username", read_only=True)
    token_start = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ApiToken
        fields = ["id", "user", "username", "description", "token_start", "created", "expiry", "last_used_at",
                  "created_by"]

    def get_token_start(self, obj: ApiToken) -> str:
        return obj.token_key[:4]


class ApiTokenIssuedOutput(ApiTokenOutput):
    key = serializers.CharField(read_only=True, help_text="The token: shown in this answer only.")

    class Meta(ApiTokenOutput.Meta):
        fields = [*ApiTokenOutput.Meta.fields, "key"]

"""``settings/``: the parameter card with both strategy orders. Everyone signed in reads it; only staff change it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import PauseType
from chat.models import AGENT_STRATEGY_CHOICES, CHAT_STRATEGY_CHOICES, ChatSettings
from chat.services.settings import PAUSE_TYPE_FIELDS, chat_settings_update
from core.rest.permissions import IsStaffOrReadOnly
from core.rest.serializers import ErrorOutput


class SettingsOutput(serializers.ModelSerializer):
    agent_strategy_order = serializers.ListField(child=serializers.ChoiceField(choices=AGENT_STRATEGY_CHOICES))
    chat_strategy_order = serializers.ListField(child=serializers.ChoiceField(choices=CHAT_STRATEGY_CHOICES))

    class Meta:
        model = ChatSettings
        fields = [
            "inactivity_timeout_website",
            "inactivity_timeout_messenger",
            "inactivity_timeout_internal",
            "inactivity_counted_from",
            "no_reply_transfer_after",
            "no_reply_pause_type",
            "max_concurrent_chats",
            "assign_during_phone_call",
            "auto_add_to_crm",
            "welcome_message_when",
            "welcome_message_text",
            "agent_strategy_order",
            "chat_strategy_order",
            "delete_chats_after_days",
            "stop_auto_assign_after_hours",
            "file_upload_enabled",
            "file_max_size_mb",
            "file_download_hours",
            "no_inbox_after",
            "no_inbox_pause_type",
            "disposition_required",
            "rating_survey_enabled",
            "updated_at",
        ]


def _card_number(name: str) -> serializers.IntegerField:
    """A number of the card, with the bounds of the model's field (docs/api.md "Bounds of the numbers")."""
    return serializers.IntegerField(required=False, **ChatSettings.limits(name))


class SettingsApi(APIView):
    """The parameter card. Everyone signed in reads it; only staff change it."""

    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        inactivity_timeout_website = _card_number("inactivity_timeout_website")
        inactivity_timeout_messenger = _card_number("inactivity_timeout_messenger")
        inactivity_timeout_internal = _card_number("inactivity_timeout_internal")
        inactivity_counted_from = serializers.ChoiceField(
            choices=ChatSettings.InactivityFrom.choices, required=False
        )
        no_reply_transfer_after = _card_number("no_reply_transfer_after")
        no_reply_pause_type = serializers.PrimaryKeyRelatedField(
            queryset=PauseType.objects.all(), allow_null=True, required=False
        )
        max_concurrent_chats = _card_number("max_concurrent_chats")
        assign_during_phone_call = serializers.BooleanField(required=False)
        auto_add_to_crm = serializers.BooleanField(required=False)
        welcome_message_when = serializers.ChoiceField(choices=ChatSettings.WelcomeWhen.choices, required=False)
        welcome_message_text = serializers.CharField(allow_blank=True, max_length=2000, required=False)
        agent_strategy_order = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=20,
            help_text="Every agent strategy code exactly once, in the new order.",
        )
        chat_strategy_order = serializers.ListField(
            child=serializers.CharField(max_length=32), required=False, max_length=20,
            help_text="Every chat order code exactly once, in the new order.",
        )
        delete_chats_after_days = _card_number("delete_chats_after_days")
        stop_auto_assign_after_hours = _card_number("stop_auto_assign_after_hours")
        file_upload_enabled = serializers.BooleanField(required=False)
        file_max_size_mb = _card_number("file_max_size_mb")
        file_download_hours = _card_number("file_download_hours")
        no_inbox_after = _card_number("no_inbox_after")
        no_inbox_pause_type = serializers.PrimaryKeyRelatedField(
            queryset=PauseType.objects.all(), allow_null=True, required=False,
            help_text="The pause an agent without an open inbox is put on; null: he is logged out.",
        )
        disposition_required = serializers.BooleanField(
            required=False, help_text="An agent closing his customer chat must choose a disposition.",
        )
        rating_survey_enabled = serializers.BooleanField(
            required=False, help_text="Ask the client for a rating (1-5) when his chat closes (docs/ratings.md).",
        )

    @staticmethod
    def _output(card: ChatSettings) -> dict:
        return SettingsOutput(card).data

    @extend_schema(tags=["settings"], operation_id="settings_get", responses=SettingsOutput)
    def get(self, request):
        return Response(self._output(ChatSettings.load()))

    @extend_schema(
        tags=["settings"],
        operation_id="settings_update",
        summary="Change parameters and/or reorder the strategies (staff only)",
        request=InputSerializer,
        responses={200: SettingsOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Raise the limit and serve VIPs first",
                request_only=True,
                value={
                    "max_concurrent_chats": 5,
                    "chat_strategy_order": ["vip", "longest_waiting", "shortest_waiting"],
                },
            ),
            OpenApiExample(
                "Unknown strategy",
                response_only=True,
                status_codes=["400"],
                value={"chat_strategy_order": ["Unknown strategy: fastest."], "code": "unknown"},
            ),
        ],
    )
    def patch(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        for name in PAUSE_TYPE_FIELDS:
            if name in fields:
                fields[name] = fields[name].pk if fields[name] else None
        card = chat_settings_update(actor=request.user, **fields)
        return Response(self._output(ChatSettings.objects.get(pk=card.pk)))

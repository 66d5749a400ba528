"""The supervisor's actions (issue 15, point 2; docs/supervisor.md), staff only (403 otherwise):
``chats/{id}/supervise/assign|join|whisper|take-over/`` and ``agents/{id}/pause|logout/``. Each calls one service of
``chat.services.supervision``; a refusal is its ChatError (400, 409 when the chat is closed or taken, 404 for an
unknown chat). ``PATCH agents/{id}/presence/`` still changes anybody's presence for staff (and records them as the
actor); these two add the supervisor's reason to the record and refuse what would change nothing."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import PresenceOutput
from agents.models import Presence
from chat.api.examples import CLOSED_EXAMPLE, ERROR_EXAMPLE
from chat.api.serializers import ChatOutput, MessageOutput
from chat.models import Chat, Message
from chat.services.supervision import (
    supervisor_assign,
    supervisor_join,
    supervisor_logout_agent,
    supervisor_pause_agent,
    supervisor_take_over,
    supervisor_whisper,
)
from core.rest.permissions import IsStaff
from core.rest.serializers import ErrorOutput

TAG = "supervisor"
NOT_STAFF_EXAMPLE = OpenApiExample(
    "Not staff", value={"detail": "Only staff can do this."}, response_only=True, status_codes=["403"]
)
OVERRIDE_HELP = (
    "Give the chat even when the agent already has the maximum of open chats (recorded on the events as "
    "capacity_overridden). Default false: a full agent is refused (400, code agent_full)."
)


class SupervisedChatOutput(ChatOutput):
    capacity_overridden = serializers.SerializerMethodField(
        help_text="True when the agent's maximum of open chats was passed by the override."
    )

    class Meta(ChatOutput.Meta):
        fields = [*ChatOutput.Meta.fields, "capacity_overridden"]

    def get_capacity_overridden(self, chat) -> bool:
        return bool(getattr(chat, "capacity_overridden", False))


def _chat_answer(chat: Chat) -> Response:
    fresh = Chat.objects.get(pk=chat.pk)
    fresh.capacity_overridden = getattr(chat, "capacity_overridden", False)
    return Response(SupervisedChatOutput(fresh).data)


class ChatSuperviseAssignApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        agent = serializers.IntegerField(help_text="The agent's id: any active user who is logged in.")
        override_capacity = serializers.BooleanField(required=False, default=False, help_text=OVERRIDE_HELP)

    @extend_schema(
        tags=[TAG],
        operation_id="chats_supervise_assign",
        summary="Assign a waiting chat, or reassign an assigned one (a transfer with reason supervisor), to any agent",
        request=InputSerializer,
        responses={200: SupervisedChatOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput,
                   409: ErrorOutput},
        examples=[
            OpenApiExample("To agent 2", value={"agent": 2}, request_only=True),
            OpenApiExample("Over his maximum", value={"agent": 2, "override_capacity": True}, request_only=True),
            ERROR_EXAMPLE, NOT_STAFF_EXAMPLE, CLOSED_EXAMPLE,
        ],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = supervisor_assign(
            chat_id=chat_id, agent_id=data.validated_data["agent"], actor=request.user,
            override_capacity=data.validated_data["override_capacity"],
        )
        return _chat_answer(chat)


class ChatSuperviseJoinApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=[TAG],
        operation_id="chats_supervise_join",
        summary="Watch a chat silently (recorded once per supervisor; neither the visitor nor the agent is told)",
        request=None,
        responses={
            200: inline_serializer(
                "SupervisorJoinOutput",
                {"chat": serializers.IntegerField(), "supervisor": serializers.IntegerField(),
                 "joined_at": serializers.DateTimeField()},
            ),
            400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput,
        },
        examples=[
            OpenApiExample("Watching", value={"chat": 12, "supervisor": 1, "joined_at": "2026-12-05T09:30:00Z"},
                           response_only=True, status_codes=["200"]),
            NOT_STAFF_EXAMPLE, CLOSED_EXAMPLE,
        ],
    )
    def post(self, request, chat_id: int):
        event = supervisor_join(chat_id=chat_id, actor=request.user)
        return Response({"chat": event.chat_id, "supervisor": event.actor_id, "joined_at": event.created_at})


class ChatSuperviseWhisperApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        body = serializers.CharField(max_length=10000, help_text="The private note to the chat's agent.")

    @extend_schema(
        tags=[TAG],
        operation_id="chats_supervise_whisper",
        summary="Whisper to the chat's agent: a private note (sender note) the visitor never sees",
        request=InputSerializer,
        responses={201: MessageOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput, 409: ErrorOutput},
        examples=[
            OpenApiExample("Whisper", value={"body": "Offer him the 10% discount."}, request_only=True),
            OpenApiExample("No agent yet", response_only=True, status_codes=["400"], value={
                "chat": ["This chat has no agent to whisper to yet: assign it or take it over."],
                "code": "not_assigned"}),
            NOT_STAFF_EXAMPLE,
        ],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = supervisor_whisper(chat_id=chat_id, actor=request.user, body=data.validated_data["body"])
        message = Message.objects.select_related("author").prefetch_related("attachments").get(pk=note.pk)
        return Response(MessageOutput(message).data, status=status.HTTP_201_CREATED)


class ChatSuperviseTakeOverApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        override_capacity = serializers.BooleanField(required=False, default=False, help_text=OVERRIDE_HELP)

    @extend_schema(
        tags=[TAG],
        operation_id="chats_supervise_take_over",
        summary="Take the chat over: you become its agent (logged in if you were not), the previous agent is freed",
        request=InputSerializer,
        responses={200: SupervisedChatOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput,
                   409: ErrorOutput},
        examples=[OpenApiExample("Take over", value={}, request_only=True), NOT_STAFF_EXAMPLE, CLOSED_EXAMPLE],
    )
    def post(self, request, chat_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = supervisor_take_over(
            chat_id=chat_id, actor=request.user, override_capacity=data.validated_data["override_capacity"]
        )
        return _chat_answer(chat)


def _presence_answer(presence: Presence) -> Response:
    return Response(PresenceOutput(Presence.objects.select_related("agent").get(pk=presence.pk)).data)


class AgentPauseApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        pause_type = serializers.IntegerField(help_text="A pause type id (GET pause-types/).")

    @extend_schema(
        tags=[TAG],
        operation_id="agents_supervise_pause",
        summary="Put a logged-in agent on a pause (recorded with you as actor and reason supervisor)",
        request=InputSerializer,
        responses={200: PresenceOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("Break", value={"pause_type": 3}, request_only=True),
            OpenApiExample("Logged out", response_only=True, status_codes=["400"], value={
                "pause_type": ["A logged-out agent cannot be put on a pause."], "code": "logged_out"}),
            NOT_STAFF_EXAMPLE,
        ],
    )
    def post(self, request, agent_id: int):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        presence = supervisor_pause_agent(
            agent_id=agent_id, pause_type_id=data.validated_data["pause_type"], actor=request.user
        )
        return _presence_answer(presence)


class AgentLogoutApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=[TAG],
        operation_id="agents_supervise_logout",
        summary="Log an agent out: his open chats go back to the head of their queues",
        request=None,
        responses={200: PresenceOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("Already logged out", response_only=True, status_codes=["400"], value={
                "agent": ["Anna Nowak is already logged out."], "code": "logged_out"}),
            NOT_STAFF_EXAMPLE,
        ],
    )
    def post(self, request, agent_id: int):
        return _presence_answer(supervisor_logout_agent(agent_id=agent_id, actor=request.user))



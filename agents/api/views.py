"""The agents' REST API: pause types (staff change them), an agent's presence (what a PBX calls) and API tokens
(staff issue and revoke them). The agents themselves (list, create, change, queues, today's figures) are served
by chat.api.views.agents: their queues and figures are chat's. One class per resource path, one method per
operation, nested input serializers; every write calls one service of this app."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import ApiTokenIssuedOutput, ApiTokenOutput, PauseTypeOutput, PresenceOutput
from agents.models import ApiToken, PauseType, Presence, User
from agents.services import (
    api_token_issue,
    api_token_revoke,
    pause_type_create,
    pause_type_delete,
    pause_type_update,
    presence_get,
    presence_update,
)
from core.rest.permissions import IsStaff, IsStaffOrReadOnly
from core.rest.serializers import ErrorOutput

# --- pause types ----------------------------------------------------------------------------------------------


class PauseTypeListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)

    @extend_schema(tags=["pause-types"], operation_id="pause_types_list", responses=PauseTypeOutput(many=True))
    def get(self, request):
        return Response(PauseTypeOutput(PauseType.objects.all(), many=True).data)

    @extend_schema(
        tags=["pause-types"],
        operation_id="pause_types_create",
        request=InputSerializer,
        responses={201: PauseTypeOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Training", value={"name": "Training"}, request_only=True)],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pause_type = pause_type_create(actor=request.user, **data.validated_data)
        return Response(PauseTypeOutput(pause_type).data, status=status.HTTP_201_CREATED)


class PauseTypeDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)

    def _get(self, pause_type_id: int) -> PauseType:
        pause_type = PauseType.objects.filter(pk=pause_type_id).first()
        if pause_type is None:
            raise NotFound("No such pause type.")
        return pause_type

    @extend_schema(tags=["pause-types"], operation_id="pause_types_get", responses=PauseTypeOutput)
    def get(self, request, pause_type_id: int):
        return Response(PauseTypeOutput(self._get(pause_type_id)).data)

    @extend_schema(
        tags=["pause-types"],
        operation_id="pause_types_update",
        request=InputSerializer,
        responses={200: PauseTypeOutput, 400: ErrorOutput},
    )
    def patch(self, request, pause_type_id: int):
        self._get(pause_type_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pause_type = pause_type_update(pause_type_id=pause_type_id, actor=request.user, **data.validated_data)
        return Response(PauseTypeOutput(pause_type).data)

    @extend_schema(
        tags=["pause-types"],
        operation_id="pause_types_delete",
        summary="Delete a pause type; built-ins are refused (400, code built_in)",
        responses={204: None, 400: ErrorOutput},
        examples=[
            OpenApiExample(
                "Built-in",
                response_only=True,
                status_codes=["400"],
                value={"pause_type": ["Built-in pause types cannot be deleted."], "code": "built_in"},
            )
        ],
    )
    def delete(self, request, pause_type_id: int):
        self._get(pause_type_id)
        pause_type_delete(pause_type_id=pause_type_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- agents and presence --------------------------------------------------------------------------------------


def _agent_or_404(id_or_username: str) -> User:
    agents = User.objects.select_related("presence").prefetch_related("memberships")
    agent = agents.filter(pk=int(id_or_username)).first() if id_or_username.isdigit() else None
    if agent is None:
        agent = agents.filter(username=id_or_username).first()
    if agent is None:
        raise NotFound("No such agent.")
    return agent


AGENT_PARAMETER = OpenApiParameter(
    "agent", OpenApiTypes.STR, OpenApiParameter.PATH, description="The agent's id or username."
)


class AgentPresenceApi(APIView):
    """What a PBX calls: ``PATCH agents/{id or username}/presence/ {"on_phone_call": true}``.
    Staff change anyone's presence, an agent only his own."""

    class InputSerializer(serializers.Serializer):
        logged_in = serializers.BooleanField(required=False)
        pause_type = serializers.PrimaryKeyRelatedField(
            queryset=PauseType.objects.all(),
            allow_null=True,
            required=False,
            help_text="A pause type id to pause, null to be available.",
        )
        on_phone_call = serializers.BooleanField(required=False)

    @extend_schema(
        tags=["agents"], operation_id="agents_presence_get", parameters=[AGENT_PARAMETER], responses=PresenceOutput
    )
    def get(self, request, agent: str):
        user = _agent_or_404(agent)
        return Response(PresenceOutput(presence_get(agent_id=user.pk)).data)

    @extend_schema(
        tags=["agents"],
        operation_id="agents_presence_update",
        summary="Log in/out, pause with a type or resume (pause_type null), on a phone call",
        parameters=[AGENT_PARAMETER],
        request=InputSerializer,
        responses={200: PresenceOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("PBX: call started", value={"on_phone_call": True}, request_only=True),
            OpenApiExample("Pause: break", value={"pause_type": 3}, request_only=True),
            OpenApiExample("Available", value={"logged_in": True, "pause_type": None}, request_only=True),
        ],
    )
    def patch(self, request, agent: str):
        user = _agent_or_404(agent)
        if not (request.user.is_staff or request.user.pk == user.pk):
            raise PermissionDenied("Only staff can change another agent's presence.")
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        if "pause_type" in fields:
            pause_type = fields.pop("pause_type")
            fields["pause_type_id"] = pause_type.pk if pause_type else None
        presence = presence_update(agent_id=user.pk, actor=request.user, **fields)
        return Response(PresenceOutput(Presence.objects.select_related("agent").get(pk=presence.pk)).data)


# --- API tokens (staff only) ------------------------------------------------------------------------------------

TOKEN_EXAMPLE = {
    "id": 12, "user": 7, "username": "ewa", "description": "PBX", "token_start": "3f9a",
    "created": "2026-12-05T09:00:00+01:00", "expiry": "2027-03-05T09:00:00+01:00", "last_used_at": None,
    "created_by": "boss",
}


class ApiTokenListApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        user = serializers.IntegerField(help_text="The id of the active user the token acts as.")
        expiry_days = serializers.IntegerField(
            required=False, allow_null=True, default=None, min_value=1, max_value=3650,
            help_text="Days until it expires; none: it never expires.",
        )
        description = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)

    @extend_schema(
        tags=["tokens"], operation_id="tokens_list", summary="API tokens (never their keys)",
        responses=ApiTokenOutput(many=True),
        examples=[OpenApiExample("A token", value=[TOKEN_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        tokens = ApiToken.objects.select_related("user", "created_by").order_by("-created", "-id")
        return Response(ApiTokenOutput(tokens, many=True).data)

    @extend_schema(
        tags=["tokens"],
        operation_id="tokens_issue",
        summary="Issue a token for a user: the key is in this answer only (it is stored as a digest)",
        request=InputSerializer,
        responses={201: ApiTokenIssuedOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("For the PBX", value={"user": 7, "expiry_days": 90, "description": "PBX"},
                           request_only=True),
            OpenApiExample("Issued", response_only=True, status_codes=["201"],
                           value={**TOKEN_EXAMPLE, "key": "3f9a…(64 hexadecimal characters)"}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, key = api_token_issue(
            user_id=data.validated_data["user"], expiry_days=data.validated_data["expiry_days"],
            description=data.validated_data["description"], actor=request.user,
        )
        token = ApiToken.objects.select_related("user", "created_by").get(pk=token.pk)
        return Response({**ApiTokenOutput(token).data, "key": key}, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["tokens"], operation_id="tokens_revoke",
        summary="Revoke a token: its key answers 401 from now on",
        responses={204: None, 404: ErrorOutput},
    )
    def delete(self, request, token_id: int):
        if not ApiToken.objects.filter(pk=token_id).exists():
            raise NotFound("No such token.")
        api_token_revoke(token_id=token_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

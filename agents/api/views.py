"""The agents' REST API: pause types (staff change them) and agents with their presence (what a PBX
calls). One class per resource path, one method per operation, nested input serializers; every write
calls one service of this app."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.api.serializers import AgentOutput, PauseTypeOutput, PresenceOutput
from agents.models import ACTIVE_AGENT, PauseType, Presence, User
from agents.services import pause_type_create, pause_type_delete, pause_type_update, presence_get, presence_update
from core.rest.permissions import IsStaffOrReadOnly
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


class AgentListApi(GenericAPIView):
    serializer_class = AgentOutput

    @extend_schema(tags=["agents"], operation_id="agents_list", responses=AgentOutput(many=True))
    def get(self, request):
        agents = User.objects.filter(ACTIVE_AGENT.q()).select_related("presence").prefetch_related("memberships")
        page = self.paginate_queryset(agents.order_by("username"))
        return self.get_paginated_response(AgentOutput(page, many=True).data)


class AgentDetailApi(APIView):
    @extend_schema(tags=["agents"], operation_id="agents_get", parameters=[AGENT_PARAMETER], responses=AgentOutput)
    def get(self, request, agent: str):
        return Response(AgentOutput(_agent_or_404(agent)).data)


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

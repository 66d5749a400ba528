"""``agents/``: agents with their presence, queues and today's figures; staff create and change them and set their
queues. (Here and not in agents.api because ``today`` and the queues are chat's: the import layers.)"""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import ACTIVE_AGENT, User
from agents.services import agent_create, agent_update
from chat.api.serializers import AgentFullOutput, AgentMembershipOutput
from chat.models import QueueMembership
from chat.reports.agents_today import agents_today
from chat.services.queues import agent_queues_set
from core.rest.permissions import IsStaffOrReadOnly
from core.rest.serializers import ErrorOutput

AGENT_PARAMETER = OpenApiParameter(
    "agent", OpenApiTypes.STR, OpenApiParameter.PATH, description="The agent's id or username."
)
AGENT_EXAMPLE = {
    "id": 7, "username": "ewa", "first_name": "Ewa", "last_name": "Nowak", "email": "ewa@example.com",
    "is_staff": False, "is_active": True,
    "presence": {"agent": 7, "username": "ewa", "logged_in": True, "pause_type": None, "on_phone_call": False,
                 "available": True, "status": "available", "open_chats": 1,
                 "last_assigned_at": "2026-12-05T09:12:00+01:00", "changed_at": "2026-12-05T08:00:00+01:00"},
    "queues": [1, 2],
    "memberships": [{"queue": 1, "queue_name": "Sales", "priority": 10},
                    {"queue": 2, "queue_name": "Support", "priority": 0}],
    "today": {"state": "available", "state_since": "2026-12-05T08:00:00+01:00", "open_chats": 1, "max_chats": 3,
              "chats_today": 12, "answered_today": 11, "median_first_response_seconds": 24.5},
}


def _agents():
    memberships = QueueMembership.objects.select_related("queue").order_by("queue_id")
    return User.objects.select_related("presence").prefetch_related(Prefetch("memberships", queryset=memberships))


def _agent_or_404(id_or_username: str, *, active_only: bool = False) -> User:
    agents = _agents().filter(ACTIVE_AGENT.q()) if active_only else _agents()
    agent = agents.filter(pk=int(id_or_username)).first() if id_or_username.isdigit() else None
    if agent is None:
        agent = agents.filter(username=id_or_username).first()
    if agent is None:
        raise NotFound("No such agent.")
    return agent


def _output(request, agents, *, many=False):
    """The agents' output with ``today``: staff see everyone's figures, an agent only his own (others null)."""
    ids = [a.pk for a in (agents if many else [agents])]
    if not request.user.is_staff:
        ids = [pk for pk in ids if pk == request.user.pk]
    return AgentFullOutput(agents, many=many, context={"today": agents_today(agent_ids=ids)}).data


class AgentListApi(GenericAPIView):
    serializer_class = AgentFullOutput
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        username = serializers.CharField(max_length=150)
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
        email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
        is_staff = serializers.BooleanField(required=False, default=False)
        password = serializers.CharField(
            required=False, allow_blank=True, default="", write_only=True, max_length=128,
            help_text="Checked by the password rules; none: he cannot log in to the inbox (an API token works).",
        )

    @extend_schema(
        tags=["agents"], operation_id="agents_list",
        summary="Active agents with presence, queues and today's figures",
        responses=AgentFullOutput(many=True),
        examples=[OpenApiExample("An agent", value=AGENT_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        page = self.paginate_queryset(_agents().filter(ACTIVE_AGENT.q()).order_by("username"))
        return self.get_paginated_response(_output(request, page, many=True))

    @extend_schema(
        tags=["agents"],
        operation_id="agents_create",
        summary="Create an agent (staff); logged out and in no queue",
        request=InputSerializer,
        responses={201: AgentFullOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("New agent", request_only=True, value={
                "username": "ewa", "first_name": "Ewa", "last_name": "Nowak", "email": "ewa@example.com"}),
            OpenApiExample("Taken", response_only=True, status_codes=["400"], value={
                "username": ["An agent with this username already exists."], "code": "unique"}),
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = agent_create(actor=request.user, **data.validated_data)
        return Response(_output(request, _agent_or_404(str(agent.pk))), status=status.HTTP_201_CREATED)


class AgentDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
        email = serializers.CharField(max_length=254, required=False, allow_blank=True)
        is_staff = serializers.BooleanField(required=False)
        is_active = serializers.BooleanField(
            required=False, help_text="false deactivates him: he is logged out and his open chats are requeued."
        )

    @extend_schema(tags=["agents"], operation_id="agents_get", parameters=[AGENT_PARAMETER],
                   responses=AgentFullOutput,
                   examples=[OpenApiExample("An agent", value=AGENT_EXAMPLE, response_only=True)])
    def get(self, request, agent: str):
        return Response(_output(request, _agent_or_404(agent)))

    @extend_schema(
        tags=["agents"],
        operation_id="agents_update",
        summary="Change an agent (staff); is_active=false logs him out and requeues his chats",
        parameters=[AGENT_PARAMETER],
        request=InputSerializer,
        responses={200: AgentFullOutput, 400: ErrorOutput},
        examples=[
            OpenApiExample("Deactivate", value={"is_active": False}, request_only=True),
            OpenApiExample("Yourself", response_only=True, status_codes=["400"], value={
                "is_active": ["You cannot deactivate yourself."], "code": "self"}),
        ],
    )
    def patch(self, request, agent: str):
        user = _agent_or_404(agent)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent_update(agent_id=user.pk, actor=request.user, **data.validated_data)
        return Response(_output(request, _agent_or_404(str(user.pk))))


class AgentQueuesApi(APIView):
    """His queues and priorities as one list, replaced in one call."""

    permission_classes = [IsStaffOrReadOnly]

    class RowSerializer(serializers.Serializer):
        queue = serializers.IntegerField(help_text="A queue id.")
        priority = serializers.IntegerField(required=False, default=0, min_value=0, max_value=1000000,
                                            help_text="Higher priority gets chats first.")

    @extend_schema(tags=["agents"], operation_id="agents_queues_get", parameters=[AGENT_PARAMETER],
                   responses=AgentMembershipOutput(many=True))
    def get(self, request, agent: str):
        return Response(AgentMembershipOutput(_agent_or_404(agent).memberships.all(), many=True).data)

    @extend_schema(
        tags=["agents"],
        operation_id="agents_queues_set",
        summary="Replace the agent's queues and priorities (staff): all or nothing",
        parameters=[AGENT_PARAMETER],
        request=RowSerializer(many=True),
        responses={200: AgentMembershipOutput(many=True), 400: ErrorOutput},
        examples=[
            OpenApiExample("Sales first, then Support", request_only=True,
                           value=[{"queue": 1, "priority": 10}, {"queue": 2, "priority": 0}]),
            OpenApiExample("Unknown queue", response_only=True, status_codes=["400"], value={
                "queues": ["There is no queue with the id 99."], "code": "unknown"}),
        ],
    )
    def put(self, request, agent: str):
        user = _agent_or_404(agent, active_only=True)
        data = self.RowSerializer(data=request.data, many=True)
        data.is_valid(raise_exception=True)
        memberships = agent_queues_set(
            agent_id=user.pk, memberships=[dict(row) for row in data.validated_data], actor=request.user
        )
        return Response(AgentMembershipOutput(memberships, many=True).data)

"""``queues/``: queues with their members and priorities (staff change them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import ACTIVE_AGENT, User
from chat.api.serializers import QueueMemberOutput, QueueOutput
from chat.models import Queue, QueueMembership
from chat.services import queues as queue_services
from core.rest.permissions import IsStaffOrReadOnly
from core.rest.serializers import ErrorOutput

OFFLINE_REPLY_MAX = Queue._meta.get_field("offline_reply").max_length
OFFLINE_REPLY_HELP = (
    "Sent to a Messenger customer who writes while the queue is closed, once per closed period; empty: the default "
    "text with the next opening (docs/messenger-offline.md)."
)


def _queues():
    return Queue.objects.prefetch_related("memberships__agent")


class QueueListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        description = serializers.CharField(allow_blank=True, required=False, default="", max_length=5000)
        active = serializers.BooleanField(required=False, default=True)
        answer_target_seconds = serializers.IntegerField(
            required=False, default=60, min_value=1, max_value=86400,
            help_text="Answered within target: the first agent message this many seconds after queueing or sooner.",
        )
        offline_reply = serializers.CharField(
            allow_blank=True, required=False, default="", max_length=OFFLINE_REPLY_MAX, trim_whitespace=False,
            help_text=OFFLINE_REPLY_HELP,
        )

    @extend_schema(tags=["queues"], operation_id="queues_list", responses=QueueOutput(many=True))
    def get(self, request):
        return Response(QueueOutput(_queues(), many=True).data)

    @extend_schema(
        tags=["queues"],
        operation_id="queues_create",
        request=InputSerializer,
        responses={201: QueueOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Sales", value={"name": "Sales", "description": "Pre-sales questions"},
                                 request_only=True)],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue = queue_services.queue_create(actor=request.user, **data.validated_data)
        return Response(QueueOutput(_queues().get(pk=queue.pk)).data, status=status.HTTP_201_CREATED)


def _queue_or_404(queue_id: int) -> Queue:
    queue = _queues().filter(pk=queue_id).first()
    if queue is None:
        raise NotFound("No such queue.")
    return queue


class QueueDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        description = serializers.CharField(allow_blank=True, required=False, max_length=5000)
        active = serializers.BooleanField(required=False)
        answer_target_seconds = serializers.IntegerField(required=False, min_value=1, max_value=86400)
        offline_reply = serializers.CharField(
            allow_blank=True, required=False, max_length=OFFLINE_REPLY_MAX, trim_whitespace=False,
            help_text=OFFLINE_REPLY_HELP,
        )

    @extend_schema(tags=["queues"], operation_id="queues_get", responses=QueueOutput)
    def get(self, request, queue_id: int):
        return Response(QueueOutput(_queue_or_404(queue_id)).data)

    @extend_schema(tags=["queues"], operation_id="queues_update", request=InputSerializer,
                   responses={200: QueueOutput, 400: ErrorOutput})
    def patch(self, request, queue_id: int):
        _queue_or_404(queue_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queue_services.queue_update(queue_id=queue_id, actor=request.user, **data.validated_data)
        return Response(QueueOutput(_queue_or_404(queue_id)).data)

    @extend_schema(tags=["queues"], operation_id="queues_delete", responses={204: None, 400: ErrorOutput},
                   summary="Delete a queue without chats (one with chats: switch it off with active=false)")
    def delete(self, request, queue_id: int):
        _queue_or_404(queue_id)
        queue_services.queue_delete(queue_id=queue_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QueueMemberListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(serializers.Serializer):
        agent = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(ACTIVE_AGENT.q()))
        priority = serializers.IntegerField(required=False, default=0, min_value=0, max_value=1000000,
                                            help_text="Higher priority gets chats first.")

    @extend_schema(tags=["queues"], operation_id="queue_members_list", responses=QueueMemberOutput(many=True))
    def get(self, request, queue_id: int):
        return Response(QueueMemberOutput(_queue_or_404(queue_id).memberships.all(), many=True).data)

    @extend_schema(
        tags=["queues"],
        operation_id="queue_members_set",
        summary="Add an agent to the queue or change his priority there",
        request=InputSerializer,
        responses={200: QueueMemberOutput, 400: ErrorOutput},
        examples=[OpenApiExample("Add with priority", value={"agent": 2, "priority": 10}, request_only=True)],
    )
    def post(self, request, queue_id: int):
        _queue_or_404(queue_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = queue_services.queue_member_set(
            queue_id=queue_id,
            agent_id=data.validated_data["agent"].pk,
            priority=data.validated_data["priority"],
            actor=request.user,
        )
        return Response(QueueMemberOutput(membership).data)


class QueueMemberDetailApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    @extend_schema(tags=["queues"], operation_id="queue_members_remove", responses={204: None, 400: ErrorOutput})
    def delete(self, request, queue_id: int, agent_id: int):
        _queue_or_404(queue_id)
        if not QueueMembership.objects.filter(queue_id=queue_id, agent_id=agent_id).exists():
            raise NotFound("This agent is not a member of this queue.")
        queue_services.queue_member_remove(queue_id=queue_id, agent_id=agent_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

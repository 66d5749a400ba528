"""``queues/``: queues with their members and priorities, and their business hours (``queues/{id}/hours/``: the
weekly schedule and the dated exceptions); staff change them."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from agents.models import ACTIVE_AGENT, User
from chat.api.serializers import QueueHoursOutput, QueueMemberOutput, QueueOutput
from chat.models import Queue, QueueMembership
from chat.services import queues as queue_services
from chat.services.hours import ExceptionRow, WeeklyRow, queue_hours_set
from core.rest.permissions import IsStaffOrReadOnly
from core.rest.serializers import ErrorOutput

OFFLINE_REPLY_MAX = Queue._meta.get_field("offline_reply").max_length
OFFLINE_REPLY_HELP = (
    "Sent to a Messenger customer who writes while the queue is closed, once per closed period; empty: the default "
    "text with the next opening (docs/messenger-offline.md)."
)


def _queues():
    return Queue.objects.prefetch_related("memberships__agent", "opening_hours", "hours_exceptions")


class HoursFieldsInput(serializers.Serializer):
    """The queue's business-hours settings (the weekly rows: ``queues/{id}/hours/``)."""

    business_hours = serializers.BooleanField(
        required=False,
        help_text="On: open only in the weekly hours and the dated exceptions (queues/{id}/hours/); it needs at least "
                  "one weekly opening (400 `no_weekly_hours` otherwise).",
    )
    time_zone = serializers.CharField(
        required=False, max_length=64, help_text="An IANA zone name, e.g. Europe/Warsaw (400 naming it when unknown)."
    )
    offline_without_agents = serializers.BooleanField(
        required=False, help_text="On: while no agent of the queue is logged in, visitors get the offline form too."
    )
    offline_reply = serializers.CharField(
        required=False, allow_blank=True, max_length=1000,
        help_text="Sent to a Messenger customer outside business hours; empty: the default text.",
    )


class QueueListApi(APIView):
    permission_classes = [IsStaffOrReadOnly]

    class InputSerializer(HoursFieldsInput):
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

    class InputSerializer(HoursFieldsInput):
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


WEEKLY_EXAMPLE = [
    {"weekday": 0, "opens": "08:00", "closes": "12:00"},
    {"weekday": 0, "opens": "13:00", "closes": "17:00"},
    {"weekday": 4, "opens": "08:00", "closes": "00:00"},
]
EXCEPTIONS_EXAMPLE = [
    {"date": "2026-12-24", "closed": False, "opens": "08:00", "closes": "12:00", "note": "Christmas Eve"},
    {"date": "2026-12-25", "closed": True, "note": "Christmas"},
]


class WeeklyInput(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday … 6 = Sunday.")
    opens = serializers.TimeField(help_text="Local time of the queue's zone.")
    closes = serializers.TimeField(help_text="After `opens`; 00:00 is midnight at the end of the day.")


class ExceptionInput(serializers.Serializer):
    date = serializers.DateField()
    closed = serializers.BooleanField(default=False, help_text="Closed all day (then no `opens`/`closes`).")
    opens = serializers.TimeField(allow_null=True, default=None)
    closes = serializers.TimeField(allow_null=True, default=None)
    note = serializers.CharField(allow_blank=True, default="", max_length=200)


class QueueHoursApi(APIView):
    """``queues/{id}/hours/``: the queue's business hours as one resource (settings, weekly schedule, exceptions)."""

    permission_classes = [IsStaffOrReadOnly]

    class PatchInput(HoursFieldsInput):
        weekly = WeeklyInput(
            many=True, required=False, max_length=200,
            help_text="Replaces the weekly schedule: the intervals of one weekday must not overlap (touching is "
                      "fine).",
        )
        exceptions = ExceptionInput(
            many=True, required=False, max_length=2000,
            help_text="Replaces the dated exceptions: a date is closed all day, or open in the intervals given here.",
        )

    class PutInput(PatchInput):
        weekly = WeeklyInput(many=True, max_length=200, help_text="The whole weekly schedule.")
        exceptions = ExceptionInput(many=True, max_length=2000, help_text="Every dated exception (may be empty).")

    @extend_schema(tags=["queues"], operation_id="queue_hours_get", responses=QueueHoursOutput,
                   summary="A queue's business hours, whether it is open now and its next opening")
    def get(self, request, queue_id: int):
        return Response(QueueHoursOutput(_queue_or_404(queue_id)).data)

    @extend_schema(
        tags=["queues"], operation_id="queue_hours_replace", request=PutInput,
        responses={200: QueueHoursOutput, 400: ErrorOutput},
        summary="Replace a queue's business hours (weekly schedule and exceptions; the settings given)",
        examples=[
            OpenApiExample("Office hours with a lunch break", request_only=True, value={
                "business_hours": True, "time_zone": "Europe/Warsaw", "weekly": WEEKLY_EXAMPLE,
                "exceptions": EXCEPTIONS_EXAMPLE,
            }),
            OpenApiExample("Overlap refused", response_only=True, status_codes=["400"], value={
                "weekly": ["The hours of Monday overlap: 08:00–12:00 and 11:00–15:00. Merge them into one interval "
                           "or correct one."],
                "code": "overlap",
            }),
        ],
    )
    def put(self, request, queue_id: int):
        return self._write(request, queue_id, self.PutInput)

    @extend_schema(
        tags=["queues"], operation_id="queue_hours_update", request=PatchInput,
        responses={200: QueueHoursOutput, 400: ErrorOutput},
        summary="Change some of a queue's business hours (a list given replaces that list)",
        examples=[
            OpenApiExample("Add a holiday", request_only=True, value={"exceptions": EXCEPTIONS_EXAMPLE}),
            OpenApiExample("Switched on without a weekly opening", response_only=True, status_codes=["400"], value={
                "business_hours": ["Business hours are on but the week has no opening: add at least one weekly "
                                   "opening, or switch business hours off."],
                "code": "no_weekly_hours",
            }),
        ],
    )
    def patch(self, request, queue_id: int):
        return self._write(request, queue_id, self.PatchInput)

    def _write(self, request, queue_id: int, input_class):
        _queue_or_404(queue_id)
        data = input_class(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        weekly, exceptions = fields.pop("weekly", None), fields.pop("exceptions", None)
        queue_hours_set(
            queue_id=queue_id, actor=request.user, **fields,
            weekly=None if weekly is None else [WeeklyRow(**row) for row in weekly],
            exceptions=None if exceptions is None else [ExceptionRow(**row) for row in exceptions],
        )
        return Response(QueueHoursOutput(_queue_or_404(queue_id)).data)

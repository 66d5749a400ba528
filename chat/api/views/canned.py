"""``canned-responses/``: ready answers for the reply box (issue 14, point 3).

Everyone authenticated reads what applies to him (``canned_visible_to``: staff all; an agent the global ones,
those of his queues, his own); anything else answers 404. Writes go through chat.services.canned, which
decides who may write which: staff any scope, an agent his own personal responses only (403 otherwise)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.serializers import CannedResponseOutput
from chat.models import CANNED_BODY_MAX, CannedResponse
from chat.selectors import canned_visible_to
from chat.services.canned import canned_create, canned_delete, canned_update
from core.rest.serializers import ErrorOutput

TAGS = ["canned responses"]
# Ids within PostgreSQL's bigint: a larger number is a 400 here, not the database's error.
ID = {"min_value": 1, "max_value": 2**63 - 1}

UNIQUE_EXAMPLE = OpenApiExample(
    "Shortcut taken",
    value={"shortcut": ["This agent already has a canned response with this shortcut."], "code": "unique"},
    response_only=True,
    status_codes=["400"],
)
FORBIDDEN_EXAMPLE = OpenApiExample(
    "Not staff",
    value={"scope": ["Only staff can manage global and queue canned responses; yours are personal."],
           "code": "forbidden"},
    response_only=True,
    status_codes=["403"],
)


def _canned_or_404(*, user, canned_id: int) -> CannedResponse:
    canned = canned_visible_to(user=user).filter(pk=canned_id).first()
    if canned is None:
        raise NotFound("No such canned response.")
    return canned


def _service_fields(values: dict) -> dict:
    """The serializer's names (``queue``, ``owner``) as the service's (``queue_id``, ``owner_id``)."""
    return {{"queue": "queue_id", "owner": "owner_id"}.get(name, name): value for name, value in values.items()}


class CannedResponseListApi(GenericAPIView):
    serializer_class = CannedResponseOutput

    class FilterSerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=CannedResponse.Scope.choices, required=False)
        queue = serializers.IntegerField(required=False, **ID)
        q = serializers.CharField(required=False, max_length=100, help_text="Part of the shortcut or the title.")

    class InputSerializer(serializers.Serializer):
        scope = serializers.ChoiceField(
            choices=CannedResponse.Scope.choices, required=False, default=CannedResponse.Scope.PERSONAL,
            help_text="global and queue: staff only. personal (the default): yours, or, for staff, the owner's.",
        )
        queue = serializers.IntegerField(required=False, allow_null=True, default=None, **ID,
                                         help_text="The queue of a queue response (required there).")
        owner = serializers.IntegerField(required=False, allow_null=True, default=None, **ID,
                                         help_text="The agent of a personal response (default: you; staff only "
                                                   "name someone else).")
        shortcut = serializers.CharField(max_length=50, help_text="Typed after “/” in the reply box, e.g. thanks.")
        title = serializers.CharField(max_length=100)
        body = serializers.CharField(max_length=CANNED_BODY_MAX, trim_whitespace=False,
                                     help_text="The text; {visitor_name}, {agent_name} and {queue} are filled "
                                               "in when inserted.")

    @extend_schema(tags=TAGS, operation_id="canned_responses_list", parameters=[FilterSerializer],
                   responses=CannedResponseOutput(many=True))
    def get(self, request):
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        canned = canned_visible_to(user=request.user)
        values = filters.validated_data
        if values.get("scope"):
            canned = canned.filter(scope=values["scope"])
        if values.get("queue"):
            canned = canned.filter(queue_id=values["queue"])
        if values.get("q"):
            canned = canned.filter(shortcut__icontains=values["q"]) | canned.filter(title__icontains=values["q"])
        page = self.paginate_queryset(canned.order_by("shortcut", "id"))
        return self.get_paginated_response(CannedResponseOutput(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="canned_responses_create",
        request=InputSerializer,
        responses={201: CannedResponseOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("My own", request_only=True,
                           value={"shortcut": "thanks", "title": "Thanks",
                                  "body": "Thank you, {visitor_name}! {agent_name}"}),
            OpenApiExample("For a queue (staff)", request_only=True,
                           value={"scope": "queue", "queue": 1, "shortcut": "hours", "title": "Opening hours",
                                  "body": "{queue} is open 8–16 on weekdays."}),
            UNIQUE_EXAMPLE, FORBIDDEN_EXAMPLE,
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        canned = canned_create(actor=request.user, **_service_fields(data.validated_data))
        return Response(CannedResponseOutput(canned).data, status=status.HTTP_201_CREATED)


class CannedResponseDetailApi(APIView):
    class InputSerializer(serializers.Serializer):
        scope = serializers.ChoiceField(choices=CannedResponse.Scope.choices, required=False,
                                        help_text="Staff only; with it, name the queue or the owner again.")
        queue = serializers.IntegerField(required=False, allow_null=True, **ID)
        owner = serializers.IntegerField(required=False, allow_null=True, **ID)
        shortcut = serializers.CharField(max_length=50, required=False)
        title = serializers.CharField(max_length=100, required=False)
        body = serializers.CharField(max_length=CANNED_BODY_MAX, required=False, trim_whitespace=False)

    @extend_schema(tags=TAGS, operation_id="canned_responses_get",
                   responses={200: CannedResponseOutput, 404: ErrorOutput})
    def get(self, request, canned_id: int):
        return Response(CannedResponseOutput(_canned_or_404(user=request.user, canned_id=canned_id)).data)

    @extend_schema(tags=TAGS, operation_id="canned_responses_update", request=InputSerializer,
                   responses={200: CannedResponseOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
                   examples=[UNIQUE_EXAMPLE, FORBIDDEN_EXAMPLE])
    def patch(self, request, canned_id: int):
        _canned_or_404(user=request.user, canned_id=canned_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        canned_update(actor=request.user, canned_id=canned_id, **_service_fields(data.validated_data))
        return Response(CannedResponseOutput(_canned_or_404(user=request.user, canned_id=canned_id)).data)

    @extend_schema(tags=TAGS, operation_id="canned_responses_delete",
                   responses={204: None, 403: ErrorOutput, 404: ErrorOutput})
    def delete(self, request, canned_id: int):
        _canned_or_404(user=request.user, canned_id=canned_id)
        canned_delete(actor=request.user, canned_id=canned_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

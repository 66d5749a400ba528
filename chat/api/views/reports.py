"""``reports/``: every report of the supervisor's pages as JSON (staff only), the same numbers as the page."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.serializers import ReportListItemOutput, ReportOutput
from chat.reports.params import report_params
from chat.reports.selectors import REPORTS, report_run
from core.rest.permissions import IsStaff
from core.rest.serializers import ErrorOutput

ROW_EXAMPLE = {
    "key": "9", "label": "09:00", "started": 120, "answered": 98, "answered_within_target": 81, "missed": 7,
    "abandoned": 13, "transferred": 11, "wait_median": 21.5, "wait_p90": 74.0, "first_response_median": 12.0,
    "first_response_p90": 48.3, "handling_median": 412.0, "handling_p90": 1030.8,
}


class ReportListApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["reports"],
        operation_id="reports_list",
        summary="The reports (staff only)",
        responses={200: ReportListItemOutput(many=True), 403: ErrorOutput},
        examples=[OpenApiExample("Reports", value=[{
            "name": "hours", "title": "Per hour of the day", "dimension": "Hour",
            "description": "Chats by the hour of the day they started (site time zone).",
            "url": "/api/v1/reports/hours/",
        }], response_only=True)],
    )
    def get(self, request):
        return Response(ReportListItemOutput([
            {"name": r.name, "title": r.title, "dimension": r.dimension, "description": r.description,
             "url": reverse("api:chat_api:report-detail", args=[r.name])}
            for r in REPORTS.values()
        ], many=True).data)


class ReportDetailApi(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        tags=["reports"],
        operation_id="reports_get",
        summary="One report for a date range (staff only)",
        description="Chats started between `from` and `to` (both included, in the site's time zone; by default the "
                    "last 7 days; at most 366 days), internal chats never. Counts are integers, times seconds "
                    "(a tenth rounded; null when there is nothing to measure, or on SQLite). The definitions: "
                    "docs/reports.md.",
        parameters=[
            OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(REPORTS),
                             description="The report."),
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD), included."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD), included."),
            OpenApiParameter("queue", OpenApiTypes.INT, description="Only the chats of this queue."),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=["website", "messenger"],
                             description="Only the chats of this channel."),
        ],
        responses={200: ReportOutput, 400: ErrorOutput, 403: ErrorOutput, 404: ErrorOutput},
        examples=[
            OpenApiExample("Per hour", response_only=True, status_codes=["200"], value={
                "name": "hours", "title": "Per hour of the day", "dimension": "Hour", "from": "2026-11-29",
                "to": "2026-12-05", "time_zone": "Europe/Warsaw", "queue": None, "channel": None,
                "columns": list(ROW_EXAMPLE)[2:], "rows": [ROW_EXAMPLE],
            }),
            OpenApiExample("End before start", response_only=True, status_codes=["400"],
                           value={"to": ["The end date is before the start date."], "code": "invalid_range"}),
        ],
    )
    def get(self, request, name: str):
        if name not in REPORTS:
            raise NotFound("There is no such report.")
        period, filters = report_params(request.query_params)
        result = report_run(name, period, **filters)
        report = REPORTS[name]
        return Response(ReportOutput({
            "name": name, "title": report.title, "dimension": report.dimension,
            "from": period.date_from, "to": period.date_to, "time_zone": settings.TIME_ZONE,
            "queue": result.queue_id, "channel": result.channel,
            "columns": [code for code, _label in result.columns], "rows": result.rows,
        }).data)

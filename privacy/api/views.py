"""``privacy/``: the privacy requests of GDPR articles 15 and 17 (staff only): export everything stored about a
person as a ZIP archive, erase it, list the audit records. Thin: the privacy services do the work
(docs/privacy.md)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from core.rest.permissions import IsStaff
from core.rest.serializers import ErrorOutput
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase, privacy_export, privacy_subject

REFERENCE_HEADER = "X-Parley-Privacy-Reference"

RECORD_EXAMPLE = {
    "id": 7, "reference": "PR-000007", "kind": "erase", "subject_kind": "email", "via": "api", "actor": 1,
    "actor_username": "boss", "created_at": "2026-12-05T10:15:00+01:00",
    "counts": {"customers": 1, "chats": 3, "messages": 41, "attachments": 2, "events": 17,
               "no_reply_exclusions": 0, "open_chats_closed": 1, "files": 2, "admin_log_entries": 2,
               "event_mentions": 0, "login_attempts": 0},
}
SUBJECT_ERRORS = [
    OpenApiExample("No subject", response_only=True, status_codes=["400"],
                   value={"detail": ["Give the customer or the e-mail address the request is about."],
                          "code": "subject_required"}),
    OpenApiExample("Both", response_only=True, status_codes=["400"],
                   value={"detail": ["Give either a customer or an e-mail address, not both."],
                          "code": "subject_ambiguous"}),
    OpenApiExample("Unknown customer", response_only=True, status_codes=["400"],
                   value={"customer": ["There is no such customer."], "code": "not_found"}),
    OpenApiExample("Malformed e-mail", response_only=True, status_codes=["400"],
                   value={"email": ["Enter a valid e-mail address."], "code": "invalid_email"}),
]


class JsonOnlyNegotiation(DefaultContentNegotiation):
    """Errors are JSON whatever the client accepts (an ``Accept: application/zip`` must not turn a refusal into
    406); the archive itself is a plain file response, past DRF's renderers."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SubjectInput(serializers.Serializer):
    customer = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                        help_text="The CRM customer's id.")
    email = serializers.CharField(required=False, allow_blank=True, max_length=320, trim_whitespace=True,
                                  help_text="A visitor's e-mail (case-insensitive): its customer, if any, and "
                                            "every chat that carries it.")


class PrivacyRequestOutput(serializers.ModelSerializer):
    class Meta:
        model = PrivacyRequest
        fields = ["id", "reference", "kind", "subject_kind", "via", "actor", "actor_username", "created_at", "counts"]


class PrivacyExportApi(APIView):
    permission_classes = [IsStaff]
    content_negotiation_class = JsonOnlyNegotiation

    class InputSerializer(SubjectInput):
        pass

    @extend_schema(
        tags=["privacy"],
        operation_id="privacy_export",
        summary="Export everything stored about a person (GDPR art. 15; staff only)",
        description="Give exactly one of `customer` and `email`. The answer is a ZIP archive: `export.json` (the "
                    "customer row and every chat with all their fields, with their messages, attachments' "
                    "metadata and events) and `files/` with each stored file. The request is audited; its "
                    f"reference is in the `{REFERENCE_HEADER}` header and in `export.json`. docs/privacy.md.",
        request=InputSerializer,
        responses={
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description="The ZIP archive."),
            400: ErrorOutput, 403: ErrorOutput,
        },
        examples=[
            OpenApiExample("By e-mail", request_only=True, value={"email": "jan@example.com"}),
            OpenApiExample("By customer", request_only=True, value={"customer": 42}),
            *SUBJECT_ERRORS,
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = privacy_subject(customer_id=data.validated_data.get("customer"),
                                  email=data.validated_data.get("email"))
        export = privacy_export(subject, actor=request.user, via=PrivacyRequest.Via.API)
        response = FileResponse(export.archive, as_attachment=True, filename=export.filename,
                                content_type="application/zip")
        response[REFERENCE_HEADER] = export.request.reference
        return response


class PrivacyEraseApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(SubjectInput):
        confirm = serializers.BooleanField(
            required=False, default=False,
            help_text="Must be true: the erasure deletes everything stored about the person and cannot be undone.",
        )

    @extend_schema(
        tags=["privacy"],
        operation_id="privacy_erase",
        summary="Erase everything stored about a person (GDPR art. 17; staff only)",
        description="Give exactly one of `customer` and `email`, and `\"confirm\": true`. The person's open chats "
                    "are closed first (their agents' slots are freed), then the customer, the chats, messages, "
                    "events, attachments and their stored files are deleted, and mentions of the person in rows "
                    "that stay (the admin's history, failed logins) are scrubbed. The answer is the audit record: "
                    "what was erased, by whom, when; it keeps no personal data. Without `confirm` nothing is "
                    "deleted (400 `confirmation_required`). docs/privacy.md.",
        request=InputSerializer,
        responses={200: PrivacyRequestOutput, 400: ErrorOutput, 403: ErrorOutput},
        examples=[
            OpenApiExample("Erase by e-mail", request_only=True, value={"email": "jan@example.com", "confirm": True}),
            OpenApiExample("Erased", response_only=True, status_codes=["200"], value=RECORD_EXAMPLE),
            OpenApiExample("Not confirmed", response_only=True, status_codes=["400"], value={
                "confirm": ["Confirm the erasure: it deletes everything stored about this person and cannot be "
                            "undone."], "code": "confirmation_required"}),
            *SUBJECT_ERRORS,
        ],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subject = privacy_subject(customer_id=data.validated_data.get("customer"),
                                  email=data.validated_data.get("email"))
        record = privacy_erase(subject, actor=request.user, via=PrivacyRequest.Via.API,
                               confirm=data.validated_data["confirm"])
        return Response(PrivacyRequestOutput(record).data)


class PrivacyRequestListApi(GenericAPIView):
    permission_classes = [IsStaff]
    serializer_class = PrivacyRequestOutput

    @extend_schema(
        tags=["privacy"],
        operation_id="privacy_requests_list",
        summary="The audit records of privacy requests, newest first (staff only)",
        responses={200: PrivacyRequestOutput(many=True), 403: ErrorOutput},
    )
    def get(self, request):
        page = self.paginate_queryset(PrivacyRequest.objects.order_by("-created_at", "-id"))
        return self.get_paginated_response(PrivacyRequestOutput(page, many=True).data)

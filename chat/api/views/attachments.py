"""``attachments/``: send a file in a chat, read it, download it (after its download hours: 410 Gone)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from chat.api.selectors import attachment_get_for, chat_get_for
from chat.api.serializers import AttachmentOutput
from chat.downloads import attachment_file_response
from chat.models import Message
from chat.services.files import attachment_create
from core.rest.schema import FILE_TOO_LARGE_EXAMPLE, FILE_TOO_LARGE_RESPONSE
from core.rest.serializers import ErrorOutput


class AttachmentUploadApi(APIView):
    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        chat = serializers.IntegerField(min_value=1)
        file = serializers.FileField(allow_empty_file=True)
        body = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")

    @extend_schema(
        tags=["attachments"],
        operation_id="attachments_upload",
        summary="Send a file in a chat (multipart/form-data); over the card's limit -> 413, nothing stored",
        description=(
            "A body whose Content-Length is over the card's file limit plus 64 KiB (the other fields and the "
            "multipart framing) is refused before it is read; a file over the limit is stopped when its bytes "
            "pass the limit. Both answer 413 with `code` `too_large` and `limit_bytes`, and store nothing."
        ),
        request={"multipart/form-data": InputSerializer},
        responses={201: AttachmentOutput, 400: ErrorOutput, 409: ErrorOutput, 413: FILE_TOO_LARGE_RESPONSE},
        examples=[FILE_TOO_LARGE_EXAMPLE],
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        chat = chat_get_for(user=request.user, chat_id=data.validated_data["chat"])
        attachment = attachment_create(
            uploaded_file=data.validated_data["file"],
            chat_id=chat.pk,
            sender=Message.Sender.AGENT,
            author_id=request.user.pk,
            body=data.validated_data["body"],
        )
        return Response(AttachmentOutput(attachment).data, status=status.HTTP_201_CREATED)


class AttachmentDetailApi(APIView):
    @extend_schema(tags=["attachments"], operation_id="attachments_get", responses=AttachmentOutput)
    def get(self, request, attachment_id: int):
        return Response(AttachmentOutput(attachment_get_for(user=request.user, attachment_id=attachment_id)).data)


class AttachmentDownloadApi(APIView):
    @extend_schema(
        tags=["attachments"],
        operation_id="attachments_download",
        summary="The file (Content-Disposition: attachment); after its download hours 410 Gone",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(ErrorOutput),
            410: OpenApiResponse(ErrorOutput),
        },
    )
    def get(self, request, attachment_id: int):
        return attachment_file_response(attachment_get_for(user=request.user, attachment_id=attachment_id))

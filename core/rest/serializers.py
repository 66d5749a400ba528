"""The shape of every error answer, for the OpenAPI schema of every way in."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        "description": "A message (401, 403, 404, 429, malformed JSON) or a list of messages (a service's refusal).",
    }
)
class ErrorDetailField(serializers.JSONField):
    pass


class ErrorOutput(serializers.Serializer):
    """Every error. Field errors add ``"<field>": ["message", ...]`` keys beside these."""

    detail = ErrorDetailField(required=False)
    code = serializers.CharField(required=False, help_text="A short stable code of a service's refusal.")
    limit_bytes = serializers.IntegerField(
        required=False, help_text="413 only: the limit, in bytes, that the body or the file passed."
    )

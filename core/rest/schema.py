"""OpenAPI generation tweaks."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from core.rest.serializers import ErrorOutput

FILE_TOO_LARGE_EXAMPLE = OpenApiExample(
    "Too large",
    value={"file": ["The file is too large: the limit is 8 MB."], "code": "too_large", "limit_bytes": 8388608},
    response_only=True,
    status_codes=["413"],
)
FILE_TOO_LARGE_RESPONSE = OpenApiResponse(
    ErrorOutput,
    description="The file is over the card's limit: refused before the body is read, or when its bytes pass "
    "the limit; nothing is stored.",
)


class ParleyAutoSchema(AutoSchema):
    """Name the nested serializers of the views after their view
    (``ChatAssignApi.InputSerializer`` -> ``ChatAssignInput``), so that the many
    ``InputSerializer`` classes become distinct components."""

    def get_serializer_name(self, serializer, direction):
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)[-2:] if qualname.count(".") else ("", qualname)
            outer = outer.split(".")[-1]
            if outer.endswith("Api"):
                outer = outer[:-3]
            inner = inner.removesuffix("Serializer")
            return f"{outer}{inner}"
        return super().get_serializer_name(serializer, direction)


ERROR_RESPONSES = {
    "400": "Bad input; the offending field is named.",
    "401": "Missing or wrong credentials.",
    "403": "Not allowed.",
    "404": "Unknown id, or not visible to this user.",
    "429": "Throttled; see Retry-After.",
}
# Only operations that take a body: over its ceiling it is refused before it is read.
BODY_ERROR_RESPONSES = {
    "413": "The request body is over its limit (`limit_bytes`); nothing was read or stored.",
}


def add_error_responses(result, generator, request, public):
    """Postprocessing hook: every operation documents the common error answers (shape ``ErrorOutput``)."""
    ref = {"$ref": "#/components/schemas/ErrorOutput"}
    if "ErrorOutput" not in result.get("components", {}).get("schemas", {}):
        return result
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, description in ERROR_RESPONSES.items():
                if status == "401" and path.endswith("/widget/v1/chats/") and method == "post":
                    continue
                operation["responses"].setdefault(
                    status, {"description": description, "content": {"application/json": {"schema": ref}}}
                )
            if "requestBody" in operation:
                for status, description in BODY_ERROR_RESPONSES.items():
                    operation["responses"].setdefault(
                        status, {"description": description, "content": {"application/json": {"schema": ref}}}
                    )
    return result


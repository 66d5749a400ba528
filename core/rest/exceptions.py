"""The error shape of every JSON way in (the REST APIs, the widget; ``EXCEPTION_HANDLER``).

Every error is JSON. Validation errors keep DRF's shape, the offending field
named: ``{"body": ["This field is required."]}``. A refusal of a service
(:class:`core.errors.ApplicationError`, chat's ``ChatError`` among them) becomes
``{"<field>" or "detail": ["message"], "code": "<code>"}`` with status 400,
403 Forbidden when the user may see the thing but not do this to it
(``"code": "forbidden"``), or 409 Conflict when the chat is closed or was taken
by someone else; an expired file is 410 Gone; a throttled request is 429 with
``Retry-After`` and ``{"detail": ["message"], "code": "throttled"}``.
A body over its ceiling (core/bodies.py), or a file over the card's limit, is 413
``{"<field>" or "detail": ["message"], "code": "too_large", "limit_bytes": n}``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.defaults import page_not_found, server_error
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from core.bodies import BodyTooLarge
from core.errors import ApplicationError

# Refusal codes answered with 409 Conflict: the request was valid, but the
# state of the chat forbids it now (closed, taken by another agent).
CONFLICT_CODES = frozenset(
    {"closed", "taken", "already_assigned", "already_closed", "already_verified", "conflict",
     # a rating (docs/ratings.md): the chat is rated already, still open, or the survey is off
     "already_rated", "not_closed", "ratings_off"}
)
# Refusal codes answered with 403 Forbidden: the user may see it, but not do this (chat.services.permissions).
FORBIDDEN_CODES = frozenset({"forbidden"})


class Gone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = _("This file has expired and is no longer available.")
    default_code = "gone"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The request conflicts with the current state.")
    default_code = "conflict"


def application_error_response(exc: ApplicationError) -> Response:
    code = getattr(exc, "code", None) or "invalid"
    field = getattr(exc, "field", None) or "detail"
    message = str(exc)  # the translated message with its parameters filled in
    status_code = status.HTTP_409_CONFLICT if code in CONFLICT_CODES else status.HTTP_400_BAD_REQUEST
    body = {field: [str(message)], "code": code}
    if code in FORBIDDEN_CODES:
        status_code = status.HTTP_403_FORBIDDEN
    elif code == "gone":
        status_code = status.HTTP_410_GONE
    elif code == "not_found" and field in {"detail", "token", "chat", "chat_id"}:
        status_code = status.HTTP_404_NOT_FOUND
    elif code == "too_large":
        # The same answer as a body refused before it was read (too_large_response).
        status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        if getattr(exc, "limit_bytes", None) is not None:
            body["limit_bytes"] = exc.limit_bytes
    return Response(body, status=status_code)


def too_large_response(exc: RequestDataTooBig) -> Response:
    """413 for a body over its ceiling: ours (BodyTooLarge, with its field and limit) or
    Django's own (form fields over ``DATA_UPLOAD_MAX_MEMORY_SIZE``)."""
    if not isinstance(exc, BodyTooLarge):
        exc = BodyTooLarge(limit_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return Response(
        {exc.field: [str(exc.message)], "code": exc.code, "limit_bytes": exc.limit_bytes},
        status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    )


def is_gone(exc: Exception) -> bool:
    """The files service's "expired" refusal, whatever class it uses."""
    return type(exc).__name__ in {"Gone", "AttachmentGone", "FileGone", "AttachmentExpired"}


def throttled_message(wait: int | None) -> str:
    if not wait:
        return str(_("Too many requests. Try again later."))
    return ngettext(
        "Too many requests. Try again in %(seconds)d second.",
        "Too many requests. Try again in %(seconds)d seconds.",
        wait,
    ) % {"seconds": wait}


def api_exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):
        return too_large_response(exc)
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        message = _("The request has too many form fields or files.")
        return Response({"detail": [str(message)], "code": "too_many_fields"}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ApplicationError):
        if is_gone(exc):
            return Response({"detail": [str(exc)], "code": "gone"}, status=410)
        return application_error_response(exc)
    if is_gone(exc) and not isinstance(exc, exceptions.APIException):
        exc = Gone()
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, ProtectedError):
        return Response({"detail": [str(exc.args[0])], "code": "protected"}, status=status.HTTP_409_CONFLICT)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.Throttled):
        # DRF's own text is half-translated (it formats the seconds in before translating).
        response.data = {"detail": [throttled_message(exc.wait)], "code": "throttled"}
    if response is not None and isinstance(exc, exceptions.ParseError):
        response.data = {"detail": str(exc.detail), "code": "parse_error"}
    return response


def json_not_found(request, exception=None):
    """404 for URLs that match no route: JSON under /api/ and /widget/, Django's page elsewhere."""
    if request.path.startswith(("/api/", "/widget/", "/webhooks/")):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return page_not_found(request, exception)


def json_server_error(request):
    """500: JSON under /api/ and /widget/, Django's page elsewhere."""
    if request.path.startswith(("/api/", "/widget/", "/webhooks/")):
        return JsonResponse({"detail": "Server error.", "code": "server_error"}, status=500)
    return server_error(request)

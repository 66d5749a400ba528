"""The request side of the structured logs (docs/operations.md, "Logs"): django-structlog's request middleware as
Parley wants it. ``core.logs`` holds the processors every line goes through."""

from __future__ import annotations

import re

import structlog
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils.functional import empty
from django_structlog.middlewares.request import RequestMiddleware

from core.client_ip import client_ip
from core.logs import redact_text

REQUEST_ID_HEADER = "X-Request-ID"
# What an incoming X-Request-ID may be to be kept: nginx's $request_id (32 hex), a UUID, an AWS trace id.
SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:=+-]{7,127}$")
# URL arguments bound to the request's lines, under the same names.
URL_CONTEXT = ("chat_id", "queue_id")


class RequestLogMiddleware(RequestMiddleware):
    """django-structlog's request middleware (``request_started`` / ``request_finished`` with ``request_id``,
    sync and async), as Parley wants it:

    - the request id is the one a trusted proxy sent in ``X-Request-ID`` (only with ``PARLEY_TRUSTED_PROXIES``
      > 0, and only when it looks like an id), otherwise a new UUID; it goes back in the response's
      ``X-Request-ID`` header;
    - ``agent_id`` is the logged-in user's id, read from the session (no query: the inbox's cheap polls stay
      cheap) or from the API's authentication once the view ran; ``chat_id`` and ``queue_id`` come from the URL;
    - the client's address is ``core.client_ip``'s (the abuse limits' rule), and the logged path hides download
      tokens and secret query parameters (``redact``).
    """

    def prepare(self, request) -> None:
        incoming = request.META.pop("HTTP_X_REQUEST_ID", None)
        if incoming and settings.PARLEY_TRUSTED_PROXIES > 0 and SAFE_REQUEST_ID.match(incoming):
            request.META["HTTP_X_REQUEST_ID"] = incoming
        request.__dict__.pop("headers", None)  # HttpRequest.headers is cached from META
        super().prepare(request)

    def process_view(self, request, view_func, view_args, view_kwargs) -> None:
        context = {name: view_kwargs[name] for name in URL_CONTEXT if view_kwargs.get(name) is not None}
        agent_id = _session_user_id(request)
        if agent_id is not None:
            context["agent_id"] = agent_id
        if context:
            structlog.contextvars.bind_contextvars(**context)

    def handle_response(self, request, response) -> None:
        agent_id = _authenticated_user_id(request)
        if agent_id is not None:
            structlog.contextvars.bind_contextvars(agent_id=agent_id)
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if request_id:
            response[REQUEST_ID_HEADER] = request_id
        super().handle_response(request, response)  # logs request_finished, then clears the context

    @classmethod
    def bind_ip(cls, request) -> None:
        structlog.contextvars.bind_contextvars(ip=client_ip(request))

    @staticmethod
    def format_request(request) -> str:
        return redact_text(f"{request.method} {request.get_full_path()}")


def _session_user_id(request) -> int | str | None:
    """The logged-in user's id from the session, without loading the user, and without marking the session as
    read (which would add ``Vary: Cookie`` to responses that never looked at it)."""
    session = getattr(request, "session", None)
    if session is None:
        return None
    accessed = session.accessed
    try:
        user_id = session.get(SESSION_KEY)
    finally:
        session.accessed = accessed
    return _plain_id(user_id)


def _authenticated_user_id(request) -> int | str | None:
    """The user a view authenticated (the REST API's token puts it on the request), if one was loaded."""
    user = request.__dict__.get("user")
    user = getattr(user, "_wrapped", user)  # Django's lazy user: only when something already read it
    if user is None or user is empty or not getattr(user, "is_authenticated", False):
        return None
    return _plain_id(user.pk)


def _plain_id(value) -> int | str | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)

"""The widget's per-chat visitor token, sent in the ``X-Visitor-Token`` header
(never in a URL). It authenticates requests to ``/widget/v1/chats/{id}/…`` of its
own chat only; ``request.auth`` is that chat."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from chat.services.visitors import visitor_chat_authenticate

HEADER = "X-Visitor-Token"


class VisitorTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        kwargs = (getattr(request, "parser_context", None) or {}).get("kwargs") or {}
        chat_id = kwargs.get("chat_id")
        if chat_id is None:
            return None
        token = request.headers.get(HEADER, "")
        if not token:
            raise exceptions.NotAuthenticated(_("Send the chat's visitor token in the X-Visitor-Token header."))
        chat = visitor_chat_authenticate(chat_id=int(chat_id), token=token.strip())
        if chat is None:
            raise exceptions.AuthenticationFailed(_("The visitor token is wrong or does not open this chat."))
        return AnonymousUser(), chat

    def authenticate_header(self, request):
        return HEADER


class VisitorTokenScheme(OpenApiAuthenticationExtension):
    target_class = "chat.widget.authentication.VisitorTokenAuthentication"
    name = "visitorToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": HEADER,
            "description": "The per-chat visitor token returned when the widget starts a chat.",
        }

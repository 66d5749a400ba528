"""JSON nested deeper than Python recurses (``[`` x 100,000) is a 400 JSON parse error on every
JSON endpoint, never a 500 (a RecursionError anyone on the internet could trigger). The
endpoints are found by walking the URLconf, so a new one is covered the day it is added."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.parsers import JSONParser
from rest_framework.test import APIClient
from rest_framework.views import APIView

from agents.models import PauseType
from chat.api.views.chats import ChatConfirmCustomerApi
from chat.api.views.messages import ChatMessageResendApi
from chat.api.views.supervision import AgentLogoutApi, ChatSuperviseJoinApi
from chat.messenger.signature import sign
from chat.services.canned import canned_create
from chat.services.chats import chat_assign
from chat.services.files import attachment_create
from chat.services.visitors import visitor_chat_start
from chat.widget import views as widget_views
from tests import factories
from tests.chat.api.fixtures import token_client

DEEP = b"[" * 100_000
WRITE_METHODS = ("post", "put", "patch")
# Views that take no body at all: they must ignore it, not fail on it.
# Views that read no body: they answer by their own rules (a refusal of the service is fine), never with a
# parse error or a 500.
NO_BODY = {widget_views.WidgetHeartbeatApi, widget_views.WidgetPageClosedApi, widget_views.WidgetChatCloseApi,
           ChatConfirmCustomerApi, ChatMessageResendApi, ChatSuperviseJoinApi, AgentLogoutApi}
CONVERTER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def drf_endpoints(patterns=None, prefix="/"):
    """(route with <converters>, view class) of every DRF view in the URLconf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern).lstrip("^").rstrip("$")
        if isinstance(pattern, URLResolver):
            yield from drf_endpoints(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "cls", None)
            if isinstance(view_class, type) and issubclass(view_class, APIView):
                yield route, view_class


ENDPOINTS = sorted(
    (route, method, view_class)
    for route, view_class in drf_endpoints()
    for method in WRITE_METHODS
    if hasattr(view_class, method)
)


@pytest.fixture
def world(staff, queue, agent):
    """An object behind every id a route can name, each visible to staff and to the visitor."""
    visitor_chat, visitor_token = visitor_chat_start(visitor_key="deep-json-visitor-01", queue_id=queue.pk,
                                                     visitor_name="Ola")
    chat_assign(chat_id=visitor_chat.pk, agent_id=agent.pk)
    attachment = attachment_create(uploaded_file=SimpleUploadedFile("a.txt", b"a"), chat_id=visitor_chat.pk)
    values = {
        "chat_id": visitor_chat.pk,
        "queue_id": queue.pk,
        "agent_id": agent.pk,
        "agent": agent.username,
        "pause_type_id": PauseType.objects.create(name="Deep").pk,
        "customer_id": factories.CustomerFactory().pk,
        "attachment_id": attachment.pk,
        "message_id": attachment.message_id,
        "canned_id": canned_create(actor=staff, shortcut="deep", title="Deep", body="Deep", scope="global").pk,
    }
    return {"values": values, "visitor_token": visitor_token}


def concrete(route: str, values: dict) -> str:
    def fill(match):
        name = match["name"]
        assert name in values, f"give the deep-JSON test a value for <{name}> (route {route})"
        return str(values[name])

    return CONVERTER.sub(fill, route)


def client_for(route: str, staff, world) -> APIClient:
    if route.startswith("/widget/"):
        client = APIClient()
        client.credentials(HTTP_X_VISITOR_TOKEN=world["visitor_token"])
        return client
    return token_client(staff)


def test_the_walk_finds_the_json_endpoints():
    routes = {route for route, _method, _view in ENDPOINTS}
    assert {"/api/v1/settings/", "/api/v1/chats/<int:chat_id>/messages/", "/widget/v1/chats/",
            "/widget/v1/chats/<int:chat_id>/messages/", "/webhooks/messenger"} <= routes
    assert len(ENDPOINTS) >= 20


@pytest.mark.parametrize(("route", "method", "view_class"), ENDPOINTS,
                         ids=[f"{method.upper()} {route}" for route, method, _view in ENDPOINTS])
def test_json_nested_too_deeply_is_a_400_json_parse_error(route, method, view_class, staff, world):
    url = concrete(route, world["values"])
    headers = {"HTTP_ACCEPT_LANGUAGE": "en"}
    if route.startswith("/webhooks/"):
        headers["HTTP_X_HUB_SIGNATURE_256"] = sign(DEEP)
    # The test client raises the view's exception: a RecursionError fails loudly here.
    response = getattr(client_for(route, staff, world), method)(url, data=DEEP, content_type="application/json",
                                                                **headers)
    if view_class in NO_BODY:
        assert response.status_code < 500, response.content
        assert response.status_code < 400 or response.json()["code"] != "parse_error", response.content
        return
    if not any(issubclass(parser, JSONParser) for parser in view_class.parser_classes):
        assert response.status_code == 415, response.content  # uploads take multipart only
        return
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "parse_error"

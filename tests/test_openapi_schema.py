"""The OpenAPI schema stays valid and free of warnings; the docs are served without a CDN."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command

MAIN_OPERATIONS_WITH_EXAMPLES = [
    ("/api/v1/settings/", "patch"),
    ("/api/v1/agents/{agent}/presence/", "patch"),
    ("/api/v1/chats/", "post"),
    ("/api/v1/chats/{chat_id}/messages/", "post"),
    ("/api/v1/chats/{chat_id}/assign/", "post"),
    ("/api/v1/chats/{chat_id}/transfer/", "post"),
    ("/api/v1/chats/{chat_id}/close/", "post"),
    ("/api/v1/customers/", "post"),
    ("/api/v1/canned-responses/", "post"),
    ("/api/v1/queues/{queue_id}/members/", "post"),
    ("/widget/v1/chats/", "post"),
    ("/api/v1/chats/{chat_id}/supervise/assign/", "post"),
    ("/api/v1/chats/{chat_id}/supervise/whisper/", "post"),
    ("/api/v1/chats/{chat_id}/supervise/take-over/", "post"),
    ("/api/v1/agents/{agent_id}/pause/", "post"),
    ("/api/v1/agents/", "post"),
    ("/api/v1/agents/{agent}/", "patch"),
    ("/api/v1/agents/{agent}/queues/", "put"),
    ("/api/v1/tokens/", "post"),
]


@pytest.fixture(scope="module")
def schema(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("schema") / "schema.yaml"
    with django_db_blocker.unblock():
        # --fail-on-warn turns every warning of drf-spectacular into an error; --validate checks OpenAPI 3.
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_generates_valid_and_without_warnings(schema):
    assert schema["openapi"].startswith("3.")
    assert len(schema["paths"]) >= 25


def test_every_contract_resource_is_in_the_schema(schema):
    paths = set(schema["paths"])
    for path in [
        "/api/v1/settings/",
        "/api/v1/pause-types/",
        "/api/v1/queues/",
        "/api/v1/agents/{agent}/presence/",
        "/api/v1/agents/",
        "/api/v1/agents/{agent}/",
        "/api/v1/agents/{agent}/queues/",
        "/api/v1/tokens/",
        "/api/v1/tokens/{token_id}/",
        "/api/v1/customers/",
        "/api/v1/chats/",
        "/api/v1/chats/{chat_id}/messages/",
        "/api/v1/chats/{chat_id}/assign/",
        "/api/v1/chats/{chat_id}/transfer/",
        "/api/v1/chats/{chat_id}/close/",
        "/api/v1/attachments/",
        "/api/v1/canned-responses/",
        "/api/v1/canned-responses/{canned_id}/",
        "/widget/v1/chats/",
    ]:
        assert path in paths, path


@pytest.mark.parametrize(("path", "method"), MAIN_OPERATIONS_WITH_EXAMPLES)
def test_main_operations_carry_examples(schema, path, method):
    operation = schema["paths"][path][method]
    request_examples = [
        content.get("examples") for content in operation.get("requestBody", {}).get("content", {}).values()
    ]
    assert any(request_examples), f"{method.upper()} {path} has no request example"


def test_security_schemes_are_token_session_and_visitor_token(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["cookieAuth"]["in"] == "cookie"
    assert schemes["visitorToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Visitor-Token",
        "description": schemes["visitorToken"]["description"],
    }


def test_the_chat_events_answer_carries_an_example(schema):
    """GET chats/{id}/events/ (issue 15, the timeline): its answer is shown with an example of the words."""
    operation = schema["paths"]["/api/v1/chats/{chat_id}/events/"]["get"]
    content = operation["responses"]["200"]["content"]["application/json"]
    entries = [entry for example in content["examples"].values() for entry in example["value"]]
    assert any(entry["kind"] == "assigned" and entry["runner_up"] for entry in entries)
    assert "404" in operation["responses"]


@pytest.fixture
def signed_in(client, db):
    """The schema and Swagger UI need a login unless API_DOCS_PUBLIC (tests/test_api_docs_access.py)."""
    from tests import factories

    client.force_login(factories.UserFactory(username="reader"))
    return client


def test_schema_is_served(signed_in):
    response = signed_in.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Parley API"


def test_swagger_ui_is_served_from_local_assets_only(signed_in):
    html = signed_in.get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    assert "drf_spectacular_sidecar" in html
    for cdn in ("cdn.jsdelivr.net", "unpkg.com", "cdnjs"):
        assert cdn not in html

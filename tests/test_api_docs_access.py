"""The OpenAPI schema and Swagger UI need a login in production; API_DOCS_PUBLIC opens them (issue 11, point 3)."""

from __future__ import annotations

import pytest

from agents.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_anonymous_request_for_the_schema_gets_a_401_json_error(client, settings):
    settings.API_DOCS_PUBLIC = False
    response = client.get("/api/schema/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()


def test_an_anonymous_visitor_of_swagger_ui_is_sent_to_the_login(client, settings):
    settings.API_DOCS_PUBLIC = False
    response = client.get("/api/docs/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "next=/api/docs/" in response["Location"]


def test_an_integration_reads_the_schema_with_its_token(client, settings):
    settings.API_DOCS_PUBLIC = False
    _token, key = ApiToken.objects.create(user=factories.UserFactory(username="pbx"))
    response = client.get("/api/schema/", HTTP_AUTHORIZATION=f"Token {key}",
                          HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Parley API"


def test_api_docs_public_opens_both_without_a_login(client, settings):
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").status_code == 200
    assert "swagger-ui" in client.get("/api/docs/").content.decode()


def test_the_docs_are_public_by_default_only_in_the_local_settings():
    import importlib
    import os

    from config.settings import base, local

    previous = os.environ.pop("API_DOCS_PUBLIC", None)
    try:
        assert importlib.reload(base).API_DOCS_PUBLIC is False
        assert importlib.reload(local).API_DOCS_PUBLIC is True
    finally:
        if previous is not None:
            os.environ["API_DOCS_PUBLIC"] = previous
        importlib.reload(base)

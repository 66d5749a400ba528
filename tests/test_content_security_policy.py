"""The Content-Security-Policy header on Parley's pages (the browser check is tests/e2e/test_csp.py)."""

from __future__ import annotations

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


@pytest.mark.parametrize("path", ["/inbox/login/", "/admin/login/"])
def test_login_pages_are_sent_the_policy(client, path):
    response = client.get(path)
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_the_inbox_and_the_admin_are_sent_the_policy(client, agent_factory):
    agent = agent_factory(username="anna", is_staff=True, is_superuser=True)
    client.force_login(agent)
    for path in ["/inbox/", "/admin/", "/admin/chat/chat/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert policy(response)["script-src"] == "'self'", path


def test_the_api_docs_alone_allow_data_images(client):
    client.force_login(factories.AdminFactory())
    directives = policy(client.get("/api/docs/"))
    assert directives["img-src"] == "'self' data:"
    assert directives["script-src"] == "'self'"
    assert policy(client.get("/admin/login/"))["img-src"] == "'self'"

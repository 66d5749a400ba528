from rest_framework.test import APIClient


def test_a_token_authenticates_an_integration(agent_api):
    assert agent_api.get("/api/v1/settings/").status_code == 200


def test_a_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    response = client.get("/api/v1/settings/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_the_inbox_session_authenticates_reads(client, agent):
    client.force_login(agent)
    assert client.get("/api/v1/chats/").status_code == 200


def test_a_session_write_without_the_csrf_token_is_refused(agent, queue):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post("/api/v1/customers/", {"name": "Ewa"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_an_inactive_users_token_is_refused(agent_api, agent):
    agent.is_active = False
    agent.save()
    assert agent_api.get("/api/v1/settings/").status_code == 401

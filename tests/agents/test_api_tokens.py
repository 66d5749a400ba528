"""API tokens (django-rest-knox): issued by staff through the API and the admin, the key shown once and stored as
a digest only, revoked tokens and expired ones answer 401."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agents.models import ApiToken
from tests import factories

pytestmark = pytest.mark.django_db


def token_api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    return client


@pytest.fixture
def boss():
    return factories.AdminFactory(username="boss")


@pytest.fixture
def boss_api(boss):
    return token_api(ApiToken.objects.create(user=boss)[1])


@pytest.fixture
def ewa():
    return factories.UserFactory(username="ewa")


def test_staff_issue_a_token_shown_once_and_stored_as_a_digest(boss_api, ewa):
    issued = boss_api.post("/api/v1/tokens/", {"user": ewa.pk, "description": "PBX", "expiry_days": 30},
                           format="json")
    assert issued.status_code == 201, issued.content
    key = issued.json()["key"]
    assert len(key) == 64 and issued.json()["description"] == "PBX"

    # The database holds no plaintext key: not in any column of the token table.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert key not in stored
    row = ApiToken.objects.get(pk=issued.json()["id"])
    assert row.digest == hashlib.sha512(key.encode()).hexdigest()
    assert row.expiry.date() == (timezone.now() + timedelta(days=30)).date()

    # It works, and nobody sees the key again.
    me = token_api(key).get("/api/v1/agents/ewa/")
    assert me.status_code == 200 and me.json()["username"] == "ewa"
    listed = boss_api.get("/api/v1/tokens/").json()
    mine = next(token for token in listed if token["id"] == row.pk)
    assert "key" not in mine and key not in str(listed)
    assert mine["username"] == "ewa" and mine["created_by"] == "boss" and mine["last_used_at"] is not None


def test_a_revoked_token_answers_401(boss_api, ewa):
    issued = boss_api.post("/api/v1/tokens/", {"user": ewa.pk}, format="json").json()
    assert issued["expiry"] is None
    ewa_api = token_api(issued["key"])
    assert ewa_api.get("/api/v1/queues/").status_code == 200
    assert boss_api.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 204
    refused = ewa_api.get("/api/v1/queues/")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Token"
    assert boss_api.delete(f"/api/v1/tokens/{issued['id']}/").status_code == 404


def test_an_expired_token_answers_401(boss_api, ewa):
    key = boss_api.post("/api/v1/tokens/", {"user": ewa.pk, "expiry_days": 1}, format="json").json()["key"]
    with time_machine.travel(timezone.now() + timedelta(days=1, minutes=1)):
        assert token_api(key).get("/api/v1/queues/").status_code == 401


def test_agents_cannot_list_issue_or_revoke_tokens(ewa, boss):
    ewa_api = token_api(ApiToken.objects.create(user=ewa)[1])
    boss_token, _key = ApiToken.objects.create(user=boss)
    assert ewa_api.get("/api/v1/tokens/").status_code == 403
    assert ewa_api.post("/api/v1/tokens/", {"user": ewa.pk}, format="json").status_code == 403
    assert ewa_api.delete(f"/api/v1/tokens/{boss_token.pk}/").status_code == 403
    assert ApiToken.objects.filter(pk=boss_token.pk).exists()


def test_no_token_for_an_inactive_user_and_an_inactive_users_token_fails(boss_api, ewa):
    key = boss_api.post("/api/v1/tokens/", {"user": ewa.pk}, format="json").json()["key"]
    ewa.is_active = False
    ewa.save()
    assert token_api(key).get("/api/v1/queues/").status_code == 401
    refused = boss_api.post("/api/v1/tokens/", {"user": ewa.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "inactive"
    unknown = boss_api.post("/api/v1/tokens/", {"user": 999999}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert unknown.status_code == 400 and unknown.json() == {"user": ["There is no such user."], "code": "not_found"}


def test_staff_issue_a_token_in_the_admin_and_see_the_key_once(client, boss, ewa):
    client.force_login(boss)
    assert client.get("/admin/agents/apitoken/add/").status_code == 200
    response = client.post(
        "/admin/agents/apitoken/add/", {"user": ewa.pk, "description": "CRM", "expiry_days": ""}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"] if "copy it now" in str(message)]
    assert len(shown) == 1
    key = shown[0].split(": ")[1].split(" ")[0]
    token = ApiToken.objects.get(user=ewa)
    assert token.description == "CRM" and token.created_by == boss
    assert token_api(key).get("/api/v1/queues/").status_code == 200
    # The list shows the tokens without their keys; deleting one revokes it.
    listing = client.get("/admin/agents/apitoken/")
    assert "CRM" in listing.content.decode() and key not in listing.content.decode()
    client.post(f"/admin/agents/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert token_api(key).get("/api/v1/queues/").status_code == 401

"""The privacy requests' REST API: POST privacy/export/ (the ZIP archive), POST privacy/erase/ (the audit record),
GET privacy/requests/; staff only, token authentication as the rest of /api/v1/."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from rest_framework.test import APIClient

from agents.models import ApiToken
from chat.models import Chat, Message
from crm.models import Customer
from privacy.models import PrivacyRequest

from .scenario import EMAIL, NAME

pytestmark = pytest.mark.django_db

EXPORT = "/api/v1/privacy/export/"
ERASE = "/api/v1/privacy/erase/"
REQUESTS = "/api/v1/privacy/requests/"


def client_with_token(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user)[1]}")
    return client


@pytest.fixture
def staff_api(staff):
    return client_with_token(staff)


@pytest.fixture
def agent_api(agent):
    return client_with_token(agent)


def stored() -> tuple[int, int, int]:
    return Customer.objects.count(), Chat.objects.count(), Message.objects.count()


def test_staff_export_a_customer_as_a_zip_archive(staff_api, person):
    response = staff_api.post(EXPORT, {"customer": person.customer.pk}, format="json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    record = PrivacyRequest.objects.get()
    assert response["X-Parley-Privacy-Reference"] == record.reference
    assert response["Content-Disposition"] == f'attachment; filename="parley-privacy-{record.reference}.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    doc = json.loads(archive.read("export.json"))
    assert doc["customer"]["name"] == NAME and len(doc["chats"]) == 5
    assert (record.kind, record.via, record.subject_kind) == ("export", "api", "customer")


def test_staff_erase_by_e_mail_and_get_the_audit_record(staff_api, person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_api.post(ERASE, {"email": EMAIL.upper(), "confirm": True}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    record = PrivacyRequest.objects.get()
    assert body["reference"] == record.reference and body["kind"] == "erase" and body["via"] == "api"
    assert body["actor_username"] == "boss" and body["counts"]["chats"] == 5
    assert EMAIL.lower() not in json.dumps(body).lower() and NAME not in json.dumps(body)
    assert not Customer.objects.filter(pk=person.customer.pk).exists()

    listed = staff_api.get(REQUESTS).json()
    assert listed["count"] == 1 and listed["results"][0]["reference"] == record.reference


def test_erasure_without_confirmation_is_400_and_erases_nothing(staff_api, person):
    before = stored()
    for body in ({"email": EMAIL}, {"email": EMAIL, "confirm": False}):
        response = staff_api.post(ERASE, body, format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "confirmation_required"
        assert response.json()["confirm"] == [
            "Confirm the erasure: it deletes everything stored about this person and cannot be undone."]
    assert stored() == before
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize("path", [EXPORT, ERASE])
@pytest.mark.parametrize(
    ("body", "answer"),
    [
        ({}, {"detail": ["Give the customer or the e-mail address the request is about."],
              "code": "subject_required"}),
        ({"email": ""}, {"detail": ["Give the customer or the e-mail address the request is about."],
                         "code": "subject_required"}),
        ({"customer": None}, {"detail": ["Give the customer or the e-mail address the request is about."],
                              "code": "subject_required"}),
        ({"customer": 1, "email": "a@example.com"},
         {"detail": ["Give either a customer or an e-mail address, not both."], "code": "subject_ambiguous"}),
        ({"customer": 987654}, {"customer": ["There is no such customer."], "code": "not_found"}),
        ({"email": "jan@@example"}, {"email": ["Enter a valid e-mail address."], "code": "invalid_email"}),
        ({"customer": "abc"}, {"customer": ["A valid integer is required."]}),
        ({"customer": 0}, {"customer": ["Ensure this value is greater than or equal to 1."]}),
    ],
)
def test_bad_subjects_are_400_naming_the_field_and_change_nothing(staff_api, person, path, body, answer):
    before = stored()
    response = staff_api.post(path, {**body, **({"confirm": True} if path == ERASE else {})}, format="json")
    assert response.status_code == 400
    assert response.json() == answer
    assert stored() == before
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(("method", "path"), [("post", EXPORT), ("post", ERASE), ("get", REQUESTS)])
def test_an_agent_is_403_and_changes_nothing(agent_api, person, method, path):
    before = stored()
    response = getattr(agent_api, method)(path, {"email": EMAIL, "confirm": True}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only staff can do this."}
    assert stored() == before and not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(("method", "path"), [("post", EXPORT), ("post", ERASE), ("get", REQUESTS)])
def test_a_wrong_token_or_none_is_401(person, method, path):
    anonymous = APIClient()
    wrong = APIClient()
    wrong.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    for client in (anonymous, wrong):
        response = getattr(client, method)(path, {"email": EMAIL, "confirm": True}, format="json")
        assert response.status_code == 401
        assert "detail" in response.json()
    assert Customer.objects.filter(pk=person.customer.pk).exists()


def test_a_refused_export_is_json_even_when_the_client_asks_for_a_zip(staff_api, db):
    response = staff_api.post(EXPORT, {"email": "nope"}, format="json", HTTP_ACCEPT="application/zip")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid_email"


def test_the_schema_documents_the_privacy_operations_with_examples(staff_api):
    schema = staff_api.get("/api/schema/?format=json").json()
    export = schema["paths"]["/api/v1/privacy/export/"]["post"]
    assert "application/zip" in export["responses"]["200"]["content"]
    assert export["requestBody"]["content"]["application/json"]["examples"]
    erase = schema["paths"]["/api/v1/privacy/erase/"]["post"]
    assert "confirm" in schema["components"]["schemas"]["PrivacyEraseInputRequest"]["properties"]
    assert erase["responses"]["400"]["content"]["application/json"]["examples"]
    assert "get" in schema["paths"]["/api/v1/privacy/requests/"]

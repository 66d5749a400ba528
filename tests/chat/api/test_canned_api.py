"""``/api/v1/canned-responses/``: what each user reads, who writes which, refusals as 400/403 with the field."""

from __future__ import annotations

import pytest
from django.utils import translation

from chat.models import CannedResponse
from chat.services.canned import canned_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/canned-responses/"
Scope = CannedResponse.Scope


@pytest.fixture
def responses(staff, agent, other_agent, queue, other_queue):
    """A global one, one per queue, one of each agent's own."""
    return {
        "global": canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="hello", title="Hello", body="Hi!"),
        "sales": canned_create(actor=staff, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="sales", title="S",
                               body="Sales"),
        "support": canned_create(actor=staff, scope=Scope.QUEUE, queue_id=other_queue.pk, shortcut="support",
                                 title="S", body="Support"),
        "anna": canned_create(actor=agent, shortcut="mine", title="Mine", body="Anna's"),
        "bartek": canned_create(actor=other_agent, shortcut="his", title="His", body="Bartek's"),
    }


def shortcuts(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["shortcut"] for row in response.json()["results"]]


def test_an_agent_lists_the_global_ones_his_queues_and_his_own(agent_api, staff_api, responses):
    assert shortcuts(agent_api.get(URL)) == ["hello", "mine", "sales"]
    assert shortcuts(staff_api.get(URL)) == ["hello", "his", "mine", "sales", "support"]
    assert shortcuts(staff_api.get(URL, {"scope": "queue"})) == ["sales", "support"]
    assert shortcuts(agent_api.get(URL, {"q": "MIN"})) == ["mine"]


def test_another_agents_own_response_is_not_found(agent_api, responses):
    assert agent_api.get(f"{URL}{responses['bartek'].pk}/").status_code == 404
    assert agent_api.patch(f"{URL}{responses['bartek'].pk}/", {"body": "x"}, format="json").status_code == 404
    assert agent_api.delete(f"{URL}{responses['bartek'].pk}/").status_code == 404
    assert CannedResponse.objects.get(pk=responses["bartek"].pk).body == "Bartek's"


def test_an_agent_creates_his_own_and_it_belongs_to_him(agent_api, agent):
    response = agent_api.post(URL, {"shortcut": "thanks", "title": "Thanks", "body": "Thank you, {visitor_name}!"},
                              format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["scope"], body["owner"], body["queue"]) == ("personal", agent.pk, None)
    assert agent_api.get(f"{URL}{body['id']}/").json()["body"] == "Thank you, {visitor_name}!"


def test_an_agent_may_not_write_global_or_queue_responses(agent_api, queue, responses):
    with translation.override("en"):
        refused = agent_api.post(URL, {"scope": "global", "shortcut": "x", "title": "X", "body": "x"},
                                 format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden" and "Only staff" in refused.json()["scope"][0]
    # He reads the global one and his queue's, but cannot change or delete them.
    for name in ("global", "sales"):
        url = f"{URL}{responses[name].pk}/"
        assert agent_api.patch(url, {"body": "changed"}, format="json").status_code == 403
        assert agent_api.delete(url).status_code == 403
    assert not CannedResponse.objects.filter(body="changed").exists()
    assert CannedResponse.objects.filter(scope=Scope.GLOBAL).count() == 1


def test_staff_manage_global_and_queue_responses(staff_api, queue, agent):
    created = staff_api.post(URL, {"scope": "queue", "queue": queue.pk, "shortcut": "hours", "title": "Hours",
                                   "body": "{queue}: 8–16"}, format="json")
    assert created.status_code == 201, created.content
    url = f"{URL}{created.json()['id']}/"
    moved = staff_api.patch(url, {"scope": "global"}, format="json")
    assert moved.status_code == 200 and (moved.json()["scope"], moved.json()["queue"]) == ("global", None)
    for_anna = staff_api.post(URL, {"scope": "personal", "owner": agent.pk, "shortcut": "hours", "title": "H",
                                    "body": "b"}, format="json")
    assert for_anna.status_code == 201 and for_anna.json()["owner"] == agent.pk
    assert staff_api.delete(url).status_code == 204
    assert list(CannedResponse.objects.values_list("scope", flat=True)) == ["personal"]


@pytest.mark.parametrize(
    ("payload", "field", "code"),
    [
        ({"shortcut": "mine", "title": "Again", "body": "b"}, "shortcut", "unique"),
        ({"shortcut": "two words", "title": "T", "body": "b"}, "shortcut", "invalid"),
        ({"shortcut": "ok", "title": "", "body": "b"}, "title", None),
        ({"shortcut": "ok", "title": "T", "body": "x" * 5001}, "body", None),
        ({"scope": "queue", "shortcut": "ok", "title": "T", "body": "b"}, "scope", "forbidden"),
        ({"scope": "planet", "shortcut": "ok", "title": "T", "body": "b"}, "scope", None),
    ],
)
def test_bad_input_is_refused_naming_the_field(agent_api, responses, payload, field, code):
    before = CannedResponse.objects.count()
    response = agent_api.post(URL, payload, format="json")
    assert response.status_code in (400, 403), response.content
    body = response.json()
    assert body[field] and all(isinstance(message, str) and message for message in body[field])
    if code:
        assert body["code"] == code
    assert CannedResponse.objects.count() == before


def test_staff_queue_response_needs_an_existing_queue(staff_api):
    missing = staff_api.post(URL, {"scope": "queue", "shortcut": "x", "title": "X", "body": "x"}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "required" and missing.json()["queue"]
    unknown = staff_api.post(URL, {"scope": "queue", "queue": 999999, "shortcut": "x", "title": "X", "body": "x"},
                             format="json")
    assert unknown.status_code == 400 and unknown.json()["code"] == "not_found"


def test_anonymous_is_refused(client, responses):
    assert client.get(URL).status_code in (401, 403)

"""The queue's automatic reply outside business hours (``Queue.offline_reply``): at most 1000 characters, refused
beyond by every way in (the admin, the REST API, the services), since the customer would get it as it is."""

from __future__ import annotations

import pytest
from django.utils import translation

from chat.models import Queue
from chat.services.errors import ChatError
from chat.services.queues import queue_create, queue_update

pytestmark = pytest.mark.django_db

LIMIT = 1000
LONGEST = "x" * LIMIT
TOO_LONG = "x" * (LIMIT + 1)


def test_the_api_sets_and_shows_the_queue_s_text(staff_api, queue):
    response = staff_api.patch(f"/api/v1/queues/{queue.pk}/", {"offline_reply": LONGEST}, format="json")
    assert response.status_code == 200
    assert response.json()["offline_reply"] == LONGEST

    created = staff_api.post("/api/v1/queues/", {"name": "Night", "offline_reply": "Back at 8."}, format="json")
    assert (created.status_code, created.json()["offline_reply"]) == (201, "Back at 8.")


@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_api_refuses_a_text_over_the_limit_naming_the_field(staff_api, queue, method):
    url = "/api/v1/queues/" if method == "post" else f"/api/v1/queues/{queue.pk}/"
    body = {"name": "Night", "offline_reply": TOO_LONG} if method == "post" else {"offline_reply": TOO_LONG}
    response = getattr(staff_api, method)(url, body, format="json", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["offline_reply"] == ["Ensure this field has no more than 1000 characters."]
    assert not Queue.objects.filter(name="Night").exists()
    queue.refresh_from_db()
    assert queue.offline_reply == ""


def test_an_agent_cannot_change_it(agent_api, queue):
    assert agent_api.patch(f"/api/v1/queues/{queue.pk}/", {"offline_reply": "Hi"}, format="json").status_code == 403


def test_the_services_refuse_it_too(queue):
    with translation.override("en"), pytest.raises(ChatError) as refused:
        queue_update(queue_id=queue.pk, offline_reply=TOO_LONG)
    assert refused.value.field == "offline_reply"
    assert str(refused.value.message) == "The automatic reply is too long (at most 1000 characters)."
    with pytest.raises(ChatError):
        queue_create(name="Night", offline_reply=TOO_LONG)
    queue.refresh_from_db()
    assert queue.offline_reply == ""
    assert queue_update(queue_id=queue.pk, offline_reply=LONGEST).offline_reply == LONGEST


def admin_form(queue, offline_reply) -> dict:
    return {
        "name": queue.name, "description": "", "active": "on", "answer_target_seconds": "60",
        "offline_reply": offline_reply, "time_zone": "Europe/Warsaw",
        **{
            f"{prefix}-{key}": value
            for prefix in ("memberships", "opening_hours", "hours_exceptions")
            for key, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0), ("MIN_NUM_FORMS", 0), ("MAX_NUM_FORMS", 1000))
        },
    }


def test_the_admin_refuses_a_text_over_the_limit_and_saves_one_within(client, admin_user, queue):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    url = f"/admin/chat/queue/{queue.pk}/change/"

    refused = client.post(url, admin_form(queue, TOO_LONG))
    assert refused.status_code == 200
    assert "Ensure this value has at most 1000 characters (it has 1001)." in refused.content.decode()
    queue.refresh_from_db()
    assert queue.offline_reply == ""

    assert client.post(url, admin_form(queue, "Wracamy o 8:00.")).status_code == 302
    queue.refresh_from_db()
    assert queue.offline_reply == "Wracamy o 8:00."

"""Issue 15, point 2: the supervisor's actions through the REST API: staff only (403), the services' refusals as
400/409 with their message, the same records as the pages."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import PauseType, Presence, PresenceEvent
from chat.models import Chat, ChatEvent, Message
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def test_staff_assign_over_the_maximum_only_with_the_override(supervisor, agent_factory, queue):
    set_card(max_concurrent_chats=1)
    bartek = agent_factory(first_name="Bartek", last_name="Kowal")
    client = api(supervisor)
    first, second = waiting_chat(queue), waiting_chat(queue)
    assert client.post(f"/api/v1/chats/{first.pk}/supervise/assign/", {"agent": bartek.pk}, format="json").json()[
        "capacity_overridden"] is False

    refused = client.post(f"/api/v1/chats/{second.pk}/supervise/assign/", {"agent": bartek.pk}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"agent": ["Bartek Kowal already has the maximum of 1 open chats."], "code": "agent_full"}

    done = client.post(f"/api/v1/chats/{second.pk}/supervise/assign/",
                       {"agent": bartek.pk, "override_capacity": True}, format="json")
    assert done.status_code == 200
    assert (done.json()["agent"], done.json()["capacity_overridden"]) == (bartek.pk, True)
    assert ChatEvent.objects.get(chat=second, kind="assigned").data["capacity_overridden"] is True


def test_staff_join_whisper_and_take_over_through_the_api(supervisor, assigned):
    chat, anna = assigned
    client = api(supervisor)

    joined = client.post(f"/api/v1/chats/{chat.pk}/supervise/join/")
    assert joined.status_code == 200 and joined.json()["supervisor"] == supervisor.pk

    whispered = client.post(f"/api/v1/chats/{chat.pk}/supervise/whisper/", {"body": "Be brief."}, format="json")
    assert whispered.status_code == 201
    assert (whispered.json()["sender"], whispered.json()["body"]) == ("note", "Be brief.")

    taken = client.post(f"/api/v1/chats/{chat.pk}/supervise/take-over/", {}, format="json")
    assert taken.status_code == 200 and taken.json()["agent"] == supervisor.pk
    kinds = list(ChatEvent.objects.filter(chat=chat, actor=supervisor).values_list("kind", flat=True))
    assert {"supervisor_joined", "whispered", "taken_over"} <= set(kinds)


def test_a_closed_chat_answers_409_and_an_unknown_one_404(supervisor, queue):
    from chat.services.chats import chat_close

    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="admin")
    client = api(supervisor)

    assert client.post(f"/api/v1/chats/{chat.pk}/supervise/take-over/", {}, format="json").status_code == 409
    assert client.post("/api/v1/chats/999999/supervise/join/").status_code == 404


def test_staff_pause_and_log_out_an_agent_through_the_api(supervisor, assigned):
    chat, anna = assigned
    client = api(supervisor)
    pause = PauseType.objects.get(code="break")

    paused = client.post(f"/api/v1/agents/{anna.pk}/pause/", {"pause_type": pause.pk}, format="json")
    assert paused.status_code == 200 and paused.json()["pause_type"] == pause.pk

    logged_out = client.post(f"/api/v1/agents/{anna.pk}/logout/")
    assert logged_out.status_code == 200 and logged_out.json()["logged_in"] is False
    again = client.post(f"/api/v1/agents/{anna.pk}/logout/")
    assert again.status_code == 400 and again.json()["code"] == "logged_out"
    assert list(PresenceEvent.objects.filter(agent=anna, actor=supervisor).values_list("kind", "reason")) == [
        ("logged_out", "supervisor"), ("paused", "supervisor"),
    ]
    assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING


def test_somebody_who_is_not_staff_gets_403_everywhere(assigned, agent_factory):
    chat, anna = assigned
    client = api(anna)
    pause = PauseType.objects.get(code="break")

    answers = [
        client.post(f"/api/v1/chats/{chat.pk}/supervise/assign/", {"agent": anna.pk}, format="json"),
        client.post(f"/api/v1/chats/{chat.pk}/supervise/join/"),
        client.post(f"/api/v1/chats/{chat.pk}/supervise/whisper/", {"body": "x"}, format="json"),
        client.post(f"/api/v1/chats/{chat.pk}/supervise/take-over/", {}, format="json"),
        client.post(f"/api/v1/agents/{anna.pk}/pause/", {"pause_type": pause.pk}, format="json"),
        client.post(f"/api/v1/agents/{anna.pk}/logout/"),
    ]

    assert [a.status_code for a in answers] == [403] * 6
    assert Presence.objects.get(agent=anna).logged_in and Presence.objects.get(agent=anna).pause_type is None
    assert not Message.objects.filter(chat=chat, sender="note").exists()

"""Issue 14, point 4 through the REST API: private notes (marked, for agents and integrations), the transfer's note
in the chat detail, and the disposition of a close."""

from __future__ import annotations

import pytest

from chat.models import ChatSettings, Disposition, Message
from chat.services.chats import chat_assign


@pytest.fixture
def my_chat(start_chat, agent):
    chat = start_chat(visitor_name="Mine")
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


def test_an_agent_posts_a_private_note_and_the_message_list_marks_it(agent_api, my_chat):
    posted = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/",
                            {"body": "Offer free shipping", "internal_note": True}, format="json")
    agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", {"body": "Hello!"}, format="json")

    assert posted.status_code == 201
    assert posted.json()["sender"] == "note"
    listed = agent_api.get(f"/api/v1/chats/{my_chat.pk}/messages/").json()
    assert [(m["sender"], m["body"]) for m in listed] == [("note", "Offer free shipping"), ("agent", "Hello!")]
    assert Message.objects.filter(chat=my_chat).for_visitor().count() == 1


def test_the_transfer_note_is_in_the_chat_detail_for_the_new_agent(agent_api, other_agent, my_chat, other_api):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/transfer/",
                              {"agent": other_agent.pk, "note": "Refund case"}, format="json")
    assert response.status_code == 200, response.content

    detail = other_api.get(f"/api/v1/chats/{my_chat.pk}/").json()
    assert detail["transfer_note"]["note"] == "Refund case"
    assert detail["agent"] == other_agent.pk


def test_the_api_lists_the_active_dispositions_and_closes_with_one(agent_api, my_chat):
    sale = Disposition.objects.create(name="Sale", order=2)
    Disposition.objects.create(name="Question", order=1)
    Disposition.objects.create(name="Old", active=False)

    names = [d["name"] for d in agent_api.get("/api/v1/dispositions/").json()]
    closed = agent_api.post(f"/api/v1/chats/{my_chat.pk}/close/", {"disposition": sale.pk}, format="json")

    assert names == ["Question", "Sale"]
    assert closed.status_code == 200
    assert closed.json()["disposition"] == sale.pk


def test_a_required_disposition_left_out_is_a_400_naming_the_field(agent_api, my_chat):
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(disposition_required=True)

    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/close/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "required"
    assert "disposition" in response.json()
    assert agent_api.get(f"/api/v1/chats/{my_chat.pk}/").json()["status"] == "assigned"


def test_an_inactive_disposition_is_refused(agent_api, my_chat):
    old = Disposition.objects.create(name="Old", active=False)

    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/close/", {"disposition": old.pk}, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_staff_switch_the_disposition_requirement_on_the_card(staff_api, agent_api):
    response = staff_api.patch("/api/v1/settings/", {"disposition_required": True}, format="json")

    assert response.status_code == 200, response.content
    assert ChatSettings.load().disposition_required is True
    assert agent_api.get("/api/v1/settings/").json()["disposition_required"] is True

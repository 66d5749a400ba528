import pytest

from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_close, chat_start

CHAT_KEYS = {
    "id", "channel", "status", "queue", "agent", "customer", "visitor_name", "visitor_email", "queued_at",
    "assigned_at", "auto_assign_stopped", "closed_at", "close_reason",
}


@pytest.fixture
def my_chat(start_chat, agent):
    chat = start_chat(visitor_name="Mine")
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


@pytest.fixture
def foreign_chat(start_chat, other_agent, other_queue):
    chat = start_chat(queue=other_queue, visitor_name="Not mine")
    return chat_assign(chat_id=chat.pk, agent_id=other_agent.pk)


def test_chat_carries_the_contract_fields(agent_api, my_chat):
    data = agent_api.get(f"/api/v1/chats/{my_chat.pk}/").json()
    assert set(data) >= CHAT_KEYS
    assert data["status"] == "assigned"
    assert data["auto_assign_stopped"] is False


def test_an_agent_sees_his_assigned_chat_and_waiting_chats_of_his_queue(agent_api, my_chat, start_chat):
    waiting = start_chat(visitor_name="Waiting here")
    ids = {row["id"] for row in agent_api.get("/api/v1/chats/").json()["results"]}
    assert ids == {my_chat.pk, waiting.pk}


def test_another_agents_chat_is_invisible(agent_api, foreign_chat):
    assert agent_api.get(f"/api/v1/chats/{foreign_chat.pk}/").status_code == 404
    ids = {row["id"] for row in agent_api.get("/api/v1/chats/").json()["results"]}
    assert foreign_chat.pk not in ids


def test_a_waiting_chat_of_another_queue_is_invisible(agent_api, start_chat, other_queue):
    chat = start_chat(queue=other_queue)
    assert agent_api.get(f"/api/v1/chats/{chat.pk}/").status_code == 404


def test_writing_into_another_agents_chat_is_404_and_stores_nothing(agent_api, foreign_chat):
    response = agent_api.post(f"/api/v1/chats/{foreign_chat.pk}/messages/", {"body": "hi"}, format="json")
    assert response.status_code == 404
    assert not Message.objects.filter(chat=foreign_chat, sender="agent").exists()


def test_closing_another_agents_chat_is_404(agent_api, foreign_chat):
    assert agent_api.post(f"/api/v1/chats/{foreign_chat.pk}/close/", {}, format="json").status_code == 404
    assert Chat.objects.get(pk=foreign_chat.pk).status == "assigned"


def test_internal_chats_are_visible_to_both_colleagues_only(agent_api, other_api, agent, other_agent, staff):
    chat = chat_start(channel="internal", initiator_id=agent.pk, peer_id=other_agent.pk)
    assert agent_api.get(f"/api/v1/chats/{chat.pk}/").status_code == 200
    assert other_api.get(f"/api/v1/chats/{chat.pk}/").status_code == 200
    third = chat_start(channel="internal", initiator_id=staff.pk, peer_id=other_agent.pk)
    assert agent_api.get(f"/api/v1/chats/{third.pk}/").status_code == 404


def test_staff_see_every_chat(staff_api, my_chat, foreign_chat):
    ids = {row["id"] for row in staff_api.get("/api/v1/chats/").json()["results"]}
    assert {my_chat.pk, foreign_chat.pk} <= ids


@pytest.mark.parametrize("field", ["status", "queue", "agent", "channel"])
def test_filter_chats(staff_api, my_chat, foreign_chat, field):
    value = {"status": "assigned", "queue": my_chat.queue_id, "agent": my_chat.agent_id, "channel": "website"}[field]
    rows = staff_api.get("/api/v1/chats/", {field: value}).json()["results"]
    assert my_chat.pk in {r["id"] for r in rows}
    assert all(r[field] == value for r in rows)


def test_filter_by_a_wrong_status_is_refused_naming_it(staff_api):
    response = staff_api.get("/api/v1/chats/", {"status": "sleeping"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_post_and_read_messages_since_an_id(agent_api, my_chat):
    first = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", {"body": "Hello"}, format="json")
    assert first.status_code == 201
    assert first.json()["sender"] == "agent"
    agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", {"body": "Anything else?"}, format="json")
    later = agent_api.get(f"/api/v1/chats/{my_chat.pk}/messages/", {"since": first.json()["id"]}).json()
    assert [m["body"] for m in later] == ["Anything else?"]


def test_an_empty_message_is_refused_naming_the_body(agent_api, my_chat):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", {"body": ""}, format="json")
    assert response.status_code == 400
    assert "body" in response.json()


def test_a_message_to_a_closed_chat_is_409(agent_api, my_chat):
    chat_close(chat_id=my_chat.pk, reason="agent")
    count = Message.objects.filter(chat=my_chat).count()
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/messages/", {"body": "Late"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "closed"
    assert Message.objects.filter(chat=my_chat).count() == count


def test_assign_a_waiting_chat_to_myself(agent_api, start_chat, agent):
    chat = start_chat()
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/assign/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["agent"] == agent.pk
    assert ChatEvent.objects.filter(chat=chat, kind="assigned", strategy="manual").exists()


def test_an_agent_cannot_assign_a_chat_to_someone_else(agent_api, start_chat, other_agent):
    chat = start_chat()
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/assign/", {"agent": other_agent.pk}, format="json")
    assert response.status_code == 403
    assert (response.json()["code"], "agent" in response.json()) == ("forbidden", True)
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_assigning_to_a_full_agent_is_refused_and_changes_nothing(staff_api, start_chat, agent, chat_settings):
    chat_settings.max_concurrent_chats = 1
    chat_settings.save()
    chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    chat = start_chat()
    response = staff_api.post(f"/api/v1/chats/{chat.pk}/assign/", {"agent": agent.pk}, format="json")
    assert response.status_code in (400, 409)
    assert "agent" in response.json() or "detail" in response.json()
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_transfer_back_to_a_queue(agent_api, my_chat, other_queue):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/transfer/", {"queue": other_queue.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "waiting"
    assert response.json()["queue"] == other_queue.pk


def test_transfer_needs_an_agent_or_a_queue(agent_api, my_chat):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/transfer/", {}, format="json")
    assert response.status_code == 400
    assert "agent" in response.json()


def test_transfer_to_an_unknown_agent_names_the_field(agent_api, my_chat):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/transfer/", {"agent": 987654}, format="json")
    assert response.status_code == 400
    assert "agent" in response.json()


def test_close_a_chat(agent_api, my_chat):
    response = agent_api.post(f"/api/v1/chats/{my_chat.pk}/close/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "closed"
    assert response.json()["close_reason"] == "agent"


def test_closing_a_closed_chat_is_409(staff_api, my_chat):
    chat_close(chat_id=my_chat.pk, reason="agent")
    response = staff_api.post(f"/api/v1/chats/{my_chat.pk}/close/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "closed"


def test_start_an_internal_chat_with_a_colleague(agent_api, agent, other_agent):
    response = agent_api.post("/api/v1/chats/", {"channel": "internal", "peer": other_agent.pk}, format="json")
    assert response.status_code == 201
    chat = Chat.objects.get(pk=response.json()["id"])
    assert (chat.initiator_id, chat.agent_id) == (agent.pk, other_agent.pk)


def test_starting_an_internal_chat_again_answers_the_open_one_with_200(agent_api, agent, other_agent):
    first = agent_api.post("/api/v1/chats/", {"channel": "internal", "peer": other_agent.pk}, format="json")
    again = agent_api.post("/api/v1/chats/", {"channel": "internal", "peer": other_agent.pk}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


def test_start_a_website_chat_into_a_queue(staff_api, queue):
    response = staff_api.post(
        "/api/v1/chats/", {"channel": "website", "queue": queue.pk, "visitor_name": "Ola"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["status"] == "waiting"


def test_start_with_an_unknown_channel_names_the_field(staff_api):
    response = staff_api.post("/api/v1/chats/", {"channel": "fax"}, format="json")
    assert response.status_code == 400
    assert "channel" in response.json()


def test_the_chat_id_in_the_url_must_be_a_number(staff_api):
    response = staff_api.get("/api/v1/chats/abc/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_assigning_a_chat_a_colleague_just_took_is_409_taken(agent_api, agent_factory, start_chat, queue):
    colleague = agent_factory(username="celina", queue=queue)
    chat = start_chat()
    chat_assign(chat_id=chat.pk, agent_id=colleague.pk)
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/assign/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "taken"
    assert Chat.objects.get(pk=chat.pk).agent_id == colleague.pk

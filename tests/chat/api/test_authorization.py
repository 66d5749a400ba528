"""Authorization holes of issue 11, point 3, each reproduced through the REST API.

Every refusal is a JSON error naming the field (403 ``"code": "forbidden"`` when the
user may see the thing but not do this; 404 when he may not see it) and changes nothing.
"""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_customer_verify, chat_start
from crm.models import Customer
from tests import factories


@pytest.fixture
def outsider(agent_factory, db):
    """An agent in no queue at all (someone a chat must not be handed to by a colleague)."""
    return agent_factory(username="dawid", logged_in=True)


def _events(chat) -> list[str]:
    return list(ChatEvent.objects.filter(chat=chat).values_list("kind", flat=True))


# --- owner and VIP: staff only ------------------------------------------------------------------------------


def test_an_agent_cannot_make_himself_owner_to_read_and_take_a_customers_chats_of_another_queue(
    agent_api, agent, start_chat, other_queue
):
    """The issue's reproduction: PATCH customers/1/ {"owner": me} let him read (and take) that customer's
    waiting chat in a queue he is not in."""
    customer = factories.CustomerFactory(email="ceo@example.com")
    elsewhere = start_chat(queue=other_queue, visitor_email="ceo@example.com")

    response = agent_api.patch(f"/api/v1/customers/{customer.pk}/", {"owner": agent.pk}, format="json")

    assert response.status_code == 404  # a customer he may not read does not exist for him
    assert Customer.objects.get(pk=customer.pk).owner_id is None
    assert agent_api.get(f"/api/v1/chats/{elsewhere.pk}/").status_code == 404
    assert agent_api.post(f"/api/v1/chats/{elsewhere.pk}/assign/", {}, format="json").status_code == 404
    assert Chat.objects.get(pk=elsewhere.pk).status == "waiting"


def test_an_agent_changing_the_owner_of_a_customer_he_may_read_gets_403_naming_the_owner(
    agent_api, agent, start_chat
):
    customer = factories.CustomerFactory(email="known@example.com")
    chat = chat_assign(chat_id=start_chat(visitor_email="known@example.com").pk, agent_id=agent.pk)
    chat_customer_verify(chat_id=chat.pk, via="agent")

    response = agent_api.patch(f"/api/v1/customers/{customer.pk}/", {"owner": agent.pk}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "owner" in response.json()
    assert Customer.objects.get(pk=customer.pk).owner_id is None


def test_an_agent_cannot_make_a_customer_vip(agent_api, agent, start_chat):
    customer = factories.CustomerFactory(email="known@example.com")
    chat = chat_assign(chat_id=start_chat(visitor_email="known@example.com").pk, agent_id=agent.pk)
    chat_customer_verify(chat_id=chat.pk, via="agent")

    response = agent_api.patch(f"/api/v1/customers/{customer.pk}/", {"vip": True, "phone": "+48 1"}, format="json")

    assert response.status_code == 403
    assert "vip" in response.json()
    stored = Customer.objects.get(pk=customer.pk)
    assert (stored.vip, stored.phone) == (False, "")


def test_an_agent_may_send_owner_and_vip_back_unchanged(agent_api, agent, start_chat):
    customer = factories.CustomerFactory(email="known@example.com")
    chat = chat_assign(chat_id=start_chat(visitor_email="known@example.com").pk, agent_id=agent.pk)
    chat_customer_verify(chat_id=chat.pk, via="agent")

    response = agent_api.patch(
        f"/api/v1/customers/{customer.pk}/", {"owner": None, "vip": False, "phone": "+48 600"}, format="json"
    )

    assert response.status_code == 200
    assert Customer.objects.get(pk=customer.pk).phone == "+48 600"


def test_an_agent_cannot_create_a_vip_or_owned_customer(agent_api, agent):
    for body, field in (({"email": "a@example.com", "vip": True}, "vip"),
                        ({"email": "b@example.com", "owner": agent.pk}, "owner")):
        response = agent_api.post("/api/v1/customers/", body, format="json")
        assert response.status_code == 403
        assert field in response.json()
    assert not Customer.objects.exists()


def test_staff_set_owner_and_vip(staff_api, agent):
    customer = factories.CustomerFactory()
    response = staff_api.patch(f"/api/v1/customers/{customer.pk}/", {"owner": agent.pk, "vip": True}, format="json")
    assert response.status_code == 200
    assert (response.json()["owner"], response.json()["vip"]) == (agent.pk, True)


# --- transfer: an agent only his own assigned chat ----------------------------------------------------------


def test_an_agent_cannot_transfer_a_waiting_chat_of_his_queue_to_someone_outside_it(
    agent_api, start_chat, outsider
):
    """The issue's reproduction: transfer {"agent": 4} on any waiting chat of his queues gave it away."""
    chat = start_chat()

    response = agent_api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"agent": outsider.pk}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert "chat" in response.json()
    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.status, stored.agent_id) == ("waiting", None)
    assert "transferred" not in _events(chat)


def test_an_agent_cannot_requeue_a_colleagues_chat_of_his_queue(agent_api, agent_factory, start_chat, queue,
                                                                  other_queue):
    colleague = agent_factory(username="celina", queue=queue)
    chat = chat_assign(chat_id=start_chat().pk, agent_id=colleague.pk)
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"queue": other_queue.pk}, format="json")
    assert response.status_code == 404  # not his, so not visible either
    assert Chat.objects.get(pk=chat.pk).agent_id == colleague.pk


def test_an_agent_transfers_his_own_chat_to_anyone(agent_api, agent, start_chat, outsider):
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"agent": outsider.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["agent"] == outsider.pk


def test_staff_transfer_any_chat(staff_api, start_chat, outsider):
    chat = start_chat()
    response = staff_api.post(f"/api/v1/chats/{chat.pk}/transfer/", {"agent": outsider.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["agent"] == outsider.pk


# --- close: who closes what, with which reason --------------------------------------------------------------


def test_an_agent_cannot_record_the_staff_reason_admin(agent_api, agent, start_chat):
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)

    response = agent_api.post(f"/api/v1/chats/{chat.pk}/close/", {"reason": "admin"}, format="json")

    assert response.status_code == 403
    assert "reason" in response.json()
    assert Chat.objects.get(pk=chat.pk).status == "assigned"
    assert "closed" not in _events(chat)


@pytest.mark.parametrize("reason", ["system", "inactivity", "client"])
def test_nobody_records_a_system_reason_through_the_api(staff_api, agent, start_chat, reason):
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    response = staff_api.post(f"/api/v1/chats/{chat.pk}/close/", {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()
    assert Chat.objects.get(pk=chat.pk).status == "assigned"


def test_an_agent_cannot_close_a_waiting_chat_of_his_queue(agent_api, start_chat):
    chat = start_chat()
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/close/", {}, format="json")
    assert response.status_code == 403
    assert "chat" in response.json()
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_an_agent_closes_his_chat_and_his_internal_chat_with_reason_agent(agent_api, agent, other_agent,
                                                                          start_chat):
    mine = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    internal = chat_start(channel="internal", initiator_id=other_agent.pk, peer_id=agent.pk)
    for chat in (mine, internal):
        response = agent_api.post(f"/api/v1/chats/{chat.pk}/close/", {}, format="json")
        assert response.status_code == 200
        assert response.json()["close_reason"] == "agent"


def test_staff_close_any_chat_with_reason_admin(staff_api, start_chat):
    chat = start_chat()
    response = staff_api.post(f"/api/v1/chats/{chat.pk}/close/", {"reason": "admin"}, format="json")
    assert response.status_code == 200
    assert response.json()["close_reason"] == "admin"


# --- list endpoints have a maximum page size ----------------------------------------------------------------


def test_a_huge_limit_is_lowered_to_the_maximum_page_size(staff_api, start_chat, settings):
    settings.API_MAX_PAGE_SIZE = 3
    for n in range(5):
        start_chat(visitor_key=f"visitor-key-{n:012d}")
        factories.CustomerFactory()

    for path in ("/api/v1/chats/", "/api/v1/customers/", "/api/v1/agents/"):
        data = staff_api.get(path, {"limit": 1000000}).json()
        assert len(data["results"]) <= 3, path
    chats = staff_api.get("/api/v1/chats/", {"limit": 1000000}).json()
    assert (chats["count"], len(chats["results"])) == (5, 3)
    assert chats["next"] is not None


def test_the_message_list_has_the_same_ceiling(staff_api, agent, start_chat, settings):
    from chat.services.messages import message_post

    settings.API_MAX_PAGE_SIZE = 3
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    for n in range(5):
        message_post(chat_id=chat.pk, sender="client", body=f"line {n}")

    first = staff_api.get(f"/api/v1/chats/{chat.pk}/messages/", {"limit": 1000}).json()
    assert [m["body"] for m in first] == ["line 0", "line 1", "line 2"]
    rest = staff_api.get(f"/api/v1/chats/{chat.pk}/messages/", {"since": first[-1]["id"]}).json()
    assert [m["body"] for m in rest] == ["line 3", "line 4"]

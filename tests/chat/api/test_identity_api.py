"""Issue 11, point 4 through the REST API: a typed e-mail is a claim; the chat says whether its link is
verified; an agent confirms it; until then the customer's record and chats are not his to read."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign
from tests import factories


@pytest.fixture
def vip(db):
    return factories.CustomerFactory(name="Jan Kowalski", email="jan@example.com", phone="+48 600 100 200", vip=True)


@pytest.fixture
def claimed(start_chat, agent, vip):
    """Someone typed the VIP's e-mail into the widget; the chat went to anna."""
    return chat_assign(chat_id=start_chat(visitor_email="jan@example.com").pk, agent_id=agent.pk)


def test_the_chat_says_its_customer_link_is_a_claim(agent_api, claimed, vip):
    data = agent_api.get(f"/api/v1/chats/{claimed.pk}/").json()
    assert data["customer"] == vip.pk
    assert (data["customer_verified"], data["customer_verified_via"]) == (False, "")


def test_a_claim_does_not_open_the_customers_record_or_chats_to_the_agent(agent_api, claimed, vip):
    assert agent_api.get(f"/api/v1/customers/{vip.pk}/").status_code == 404
    assert agent_api.get(f"/api/v1/customers/{vip.pk}/chats/").status_code == 404
    assert agent_api.get("/api/v1/customers/", {"q": "kowalski"}).json()["results"] == []


def test_the_agent_confirms_the_customer_and_then_reads_him(agent_api, agent, claimed, vip):
    response = agent_api.post(f"/api/v1/chats/{claimed.pk}/confirm-customer/")

    assert response.status_code == 200
    assert (response.json()["customer_verified"], response.json()["customer_verified_via"]) == (True, "agent")
    event = ChatEvent.objects.get(chat=claimed, kind="customer_verified")
    assert (event.actor_id, event.data["via"]) == (agent.pk, "agent")
    assert agent_api.get(f"/api/v1/customers/{vip.pk}/").json()["phone"] == "+48 600 100 200"
    assert [c["id"] for c in agent_api.get(f"/api/v1/customers/{vip.pk}/chats/").json()["results"]] == [claimed.pk]


def test_confirming_twice_is_409_with_one_event(agent_api, claimed):
    agent_api.post(f"/api/v1/chats/{claimed.pk}/confirm-customer/")
    response = agent_api.post(f"/api/v1/chats/{claimed.pk}/confirm-customer/")
    assert response.status_code == 409
    assert response.json()["code"] == "already_verified"
    assert ChatEvent.objects.filter(chat=claimed, kind="customer_verified").count() == 1


def test_a_waiting_chat_of_his_queue_is_confirmed_only_by_whoever_takes_it(agent_api, start_chat, vip):
    chat = start_chat(visitor_email="jan@example.com")
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/confirm-customer/")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Chat.objects.get(pk=chat.pk).customer_verified is False


def test_a_chat_without_a_customer_has_nothing_to_confirm(agent_api, agent, start_chat):
    chat = chat_assign(chat_id=start_chat(visitor_email="nobody@example.com").pk, agent_id=agent.pk)
    response = agent_api.post(f"/api/v1/chats/{chat.pk}/confirm-customer/")
    assert response.status_code == 400
    assert "customer" in response.json()


def test_another_agents_chat_cannot_be_confirmed(other_api, claimed):
    assert other_api.post(f"/api/v1/chats/{claimed.pk}/confirm-customer/").status_code == 404


def test_an_agent_cannot_start_a_chat_with_a_verified_customer(agent_api, queue, vip):
    response = agent_api.post(
        "/api/v1/chats/",
        {"channel": "website", "queue": queue.pk, "visitor_email": "jan@example.com", "customer_verified": True},
        format="json",
    )
    assert response.status_code == 403
    assert "customer_verified" in response.json()
    assert not Chat.objects.exists()


def test_a_staff_integration_vouches_for_the_visitor(staff_api, queue, vip):
    response = staff_api.post(
        "/api/v1/chats/",
        {"channel": "website", "queue": queue.pk, "visitor_email": "jan@example.com", "customer_verified": True},
        format="json",
    )
    assert response.status_code == 201
    assert (response.json()["customer_verified"], response.json()["customer_verified_via"]) == (True, "integration")


def test_a_chat_started_through_the_api_without_the_flag_is_a_claim(staff_api, queue, vip):
    response = staff_api.post(
        "/api/v1/chats/", {"channel": "website", "queue": queue.pk, "visitor_email": "jan@example.com"}, format="json"
    )
    assert (response.json()["customer"], response.json()["customer_verified"]) == (vip.pk, False)


def test_staff_read_every_customer(staff_api, claimed, vip):
    assert staff_api.get(f"/api/v1/customers/{vip.pk}/").status_code == 200


def test_an_agent_reads_the_customers_he_owns(agent_api, agent):
    mine = factories.CustomerFactory(owner=agent)
    factories.CustomerFactory()
    assert [c["id"] for c in agent_api.get("/api/v1/customers/").json()["results"]] == [mine.pk]

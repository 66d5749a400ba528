"""``GET /api/v1/chats/{id}/events/``: the chat's timeline as JSON (``chat_timeline``), in the language of
Accept-Language, seen by whoever may see the chat (the detail's rule: anything else is 404)."""

from __future__ import annotations

import pytest
from django.utils import translation

from chat.models import QueueMembership
from chat.services.chats import chat_transfer
from chat.services.dispatch import dispatch

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched_chat(agent, agent_factory, queue, start_chat):
    """Anna (priority 5) gets the chat over Jan (priority 1), the runner-up."""
    QueueMembership.objects.filter(agent=agent, queue=queue).update(priority=5)
    agent.first_name, agent.last_name = "Anna", "Nowak"
    agent.save()
    jan = agent_factory(username="jan", first_name="Jan", last_name="Kowalski", queue=queue, priority=1)
    chat = start_chat(visitor_name="Ewa")
    dispatch()
    return chat, jan


def test_the_agent_reads_why_the_chat_is_his(agent_api, agent, dispatched_chat, queue):
    chat, jan = dispatched_chat

    response = agent_api.get(f"/api/v1/chats/{chat.pk}/events/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    events = response.json()
    assert [e["kind"] for e in events] == ["started", "queued", "assigned"]
    assigned = events[-1]
    assert assigned["text"] == "Assigned to Anna Nowak: a higher priority in Sales than Jan Kowalski."
    assert {k: assigned[k] for k in ("agent", "agent_name", "strategy", "runner_up", "runner_up_name", "actor",
                                     "queue", "queue_name")} == {
        "agent": agent.pk, "agent_name": "Anna Nowak", "strategy": "queue_priority", "runner_up": jan.pk,
        "runner_up_name": "Jan Kowalski", "actor": None, "queue": queue.pk, "queue_name": "Sales",
    }
    assert set(assigned) == {
        "id", "at", "kind", "kind_label", "text", "actor", "actor_name", "agent", "agent_name", "from_agent",
        "from_agent_name", "queue", "queue_name", "strategy", "strategy_label", "runner_up", "runner_up_name",
        "reason", "note",
    }


def test_a_transfer_with_its_note(staff_api, agent, dispatched_chat):
    chat, jan = dispatched_chat
    chat_transfer(chat_id=chat.pk, to_agent_id=jan.pk, actor=agent, note="Wants a refund")

    last = staff_api.get(f"/api/v1/chats/{chat.pk}/events/", HTTP_ACCEPT_LANGUAGE="en").json()[-1]

    assert (last["kind"], last["reason"], last["note"], last["from_agent"], last["agent"], last["actor"]) == (
        "transferred", "manual", "Wants a refund", agent.pk, jan.pk, agent.pk
    )
    assert last["text"] == "Transferred from Anna Nowak to Jan Kowalski. Note: Wants a refund"


def test_the_text_follows_accept_language(agent_api, dispatched_chat):
    chat, _jan = dispatched_chat

    events = agent_api.get(f"/api/v1/chats/{chat.pk}/events/", HTTP_ACCEPT_LANGUAGE="pl").json()

    with translation.override("pl"):
        queued = translation.gettext("Queued in %(queue)s.") % {"queue": "Sales"}
    assert (events[1]["kind_label"], events[1]["text"]) == ("W kolejce", queued)


def test_another_agents_chat_is_404_as_its_detail(other_api, dispatched_chat):
    chat, _jan = dispatched_chat

    detail = other_api.get(f"/api/v1/chats/{chat.pk}/")
    events = other_api.get(f"/api/v1/chats/{chat.pk}/events/")

    assert (events.status_code, events.json()) == (detail.status_code, detail.json()) == (404, detail.json())


def test_without_a_token_nothing_is_told(client, dispatched_chat):
    chat, _jan = dispatched_chat

    assert client.get(f"/api/v1/chats/{chat.pk}/events/").status_code in (401, 403)

"""Canned responses in the inbox: the "/" picker's list (filled for the chat, only for a chat the agent may see)
and the agent's page of his own responses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.models import CannedResponse
from chat.services.canned import canned_create
from tests import factories

pytestmark = pytest.mark.django_db

Scope = CannedResponse.Scope


@pytest.fixture
def staff(db):
    return factories.AdminFactory(username="boss")


def picker(client, chat, q=""):
    return client.get(reverse("inbox:canned_picker", args=[chat.pk]), {"q": q})


def test_the_picker_lists_what_applies_with_the_text_filled(agent_client, agent, colleague, staff, my_chat, queue):
    other_queue = factories.QueueFactory(name="Support")
    canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="hello", title="Hello", body="Hello {visitor_name}!")
    canned_create(actor=staff, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="hours", title="Opening hours",
                  body="{queue} is open 8–16. {agent_name}")
    canned_create(actor=staff, scope=Scope.QUEUE, queue_id=other_queue.pk, shortcut="support", title="S", body="s")
    canned_create(actor=agent, shortcut="thanks", title="Thanks", body="Thanks, {visitor_name}. {ticket}")
    canned_create(actor=colleague, shortcut="his", title="His", body="not for Anna")

    response = picker(agent_client, my_chat)
    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["shortcut"] for i in items] == ["thanks", "hours", "hello"]
    texts = {i["shortcut"]: i["text"] for i in items}
    assert texts == {
        "thanks": "Thanks, Jan Kowalski. {ticket}",
        "hours": "Sales is open 8–16. Anna",
        "hello": "Hello Jan Kowalski!",
    }
    assert [i["shortcut"] for i in picker(agent_client, my_chat, q="open").json()["items"]] == ["hours"]
    assert picker(agent_client, my_chat, q="nothing-like-this").json()["items"] == []
    assert picker(agent_client, my_chat, q="/ho\x00").json()["items"][0]["shortcut"] == "hours"


def test_the_picker_of_another_agents_chat_is_not_found(client, agent_factory, start_chat, agent, my_chat):
    canned_create(actor=agent, shortcut="thanks", title="Thanks", body="Thanks {visitor_name}")
    stranger = agent_factory(username="celina", queue=factories.QueueFactory(name="Elsewhere"))
    client.force_login(stranger)
    assert picker(client, my_chat).status_code == 404


def test_the_picker_needs_a_login(client, my_chat):
    response = picker(client, my_chat)
    assert response.status_code == 302 and reverse("inbox:login") in response["Location"]


def test_the_reply_box_carries_the_picker(agent_client, my_chat):
    page = agent_client.get(reverse("inbox:chat", args=[my_chat.pk])).content.decode()
    assert reverse("inbox:canned_picker", args=[my_chat.pk]) in page
    assert 'role="listbox"' in page and 'aria-controls="canned-picker"' in page


def test_an_agent_creates_edits_and_deletes_his_own(agent_client, agent):
    url = reverse("inbox:canned")
    created = agent_client.post(url, {"shortcut": "thanks", "title": "Thanks", "body": "Thank you, {visitor_name}"})
    assert created.status_code == 302
    canned = CannedResponse.objects.get()
    assert (canned.scope, canned.owner_id, canned.shortcut) == (Scope.PERSONAL, agent.pk, "thanks")
    assert "/thanks" in agent_client.get(url).content.decode()

    edited = agent_client.post(reverse("inbox:canned_edit", args=[canned.pk]),
                               {"shortcut": "thanks", "title": "Thanks", "body": "Many thanks"})
    assert edited.status_code == 302
    canned.refresh_from_db()
    assert canned.body == "Many thanks"

    assert agent_client.post(reverse("inbox:canned_delete", args=[canned.pk])).status_code == 302
    assert not CannedResponse.objects.exists()


def test_a_taken_shortcut_is_shown_on_the_form(agent_client, agent):
    canned_create(actor=agent, shortcut="thanks", title="Thanks", body="b")
    response = agent_client.post(reverse("inbox:canned"), {"shortcut": "thanks", "title": "Again", "body": "c"},
                                 HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.context["form"].errors["shortcut"]
    assert 'data-testid="error-shortcut"' in response.content.decode()
    assert CannedResponse.objects.count() == 1


def test_another_agents_or_a_shared_response_cannot_be_edited_here(agent_client, colleague, staff):
    his = canned_create(actor=colleague, shortcut="his", title="His", body="b")
    shared = canned_create(actor=staff, scope=Scope.GLOBAL, shortcut="all", title="All", body="b")
    for canned in (his, shared):
        assert agent_client.get(reverse("inbox:canned_edit", args=[canned.pk])).status_code == 404
        assert agent_client.post(reverse("inbox:canned_delete", args=[canned.pk])).status_code == 404
    assert CannedResponse.objects.count() == 2
    page = agent_client.get(reverse("inbox:canned")).content.decode()
    assert "/all" in page and "/his" not in page  # the shared one is listed to read, his colleague's not at all

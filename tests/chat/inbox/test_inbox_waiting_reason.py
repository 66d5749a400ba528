"""A waiting chat's page says truthfully why it waits and offers "Assign" exactly where pressing it works
(issue 14, point 1): ``chat.selectors.chat_waiting_reason`` and ``chat_self_assign_refusal``."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import PauseType, Presence
from chat.models import Chat, ChatSettings, NoReplyExclusion
from chat.selectors import WaitingReason, chat_waiting_reason
from chat.services.chats import chat_assign
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client, chat) -> str:
    return client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def shows_assign(html: str, chat) -> bool:
    return 'data-testid="assign-chat"' in html and reverse("inbox:chat_assign", args=[chat.pk]) in html


def assign_works(client, agent, chat) -> bool:
    client.post(reverse("inbox:chat_assign", args=[chat.pk]), **HTMX)
    return Chat.objects.get(pk=chat.pk).agent_id == agent.pk


def pause(*agents):
    Presence.objects.filter(agent__in=agents).update(pause_type=PauseType.objects.get(code="break"))


def test_nobody_of_the_queue_logged_in_and_the_agent_logged_out_sees_no_button(
    agent_client, agent, colleague, start_chat
):
    Presence.objects.filter(agent__in=[agent, colleague]).update(logged_in=False)
    chat = start_chat()

    html = page(agent_client, chat)

    assert 'data-reason="no_agent_logged_in"' in html
    assert "No agent of the queue is logged in." in html
    assert not shows_assign(html, chat)
    assert "Log in to assign it to yourself." in html
    assert "Waiting for automatic assignment" not in html
    assert not assign_works(agent_client, agent, chat)  # the service refuses it too


def test_everyone_paused_the_agent_may_still_assign_it_to_himself(agent_client, agent, colleague, start_chat):
    pause(agent, colleague)
    chat = start_chat()

    html = page(agent_client, chat)

    assert 'data-reason="all_paused"' in html
    assert shows_assign(html, chat)  # a pause does not stop a person's decision
    assert "Assign it to yourself to answer." in html
    assert assign_works(agent_client, agent, chat)


def test_everyone_full_and_so_is_the_agent_no_button(agent_client, agent, colleague, start_chat):
    ChatSettings.objects.filter(pk=1).update(max_concurrent_chats=1)
    chat_assign(chat_id=start_chat(name="A", key="a" * 20).pk, agent_id=agent.pk)
    chat_assign(chat_id=start_chat(name="B", key="b" * 20).pk, agent_id=colleague.pk)
    chat = start_chat()

    html = page(agent_client, chat)

    assert 'data-reason="all_full"' in html
    assert "Every available agent of the queue already has the maximum of open chats." in html
    assert not shows_assign(html, chat)
    assert "You already have the maximum of 1 open chat" in html
    assert not assign_works(agent_client, agent, chat)


def test_a_chat_whose_automatic_assignment_stopped_says_so_beside_its_button(agent_client, agent, start_chat):
    chat = start_chat()
    Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now())

    html = page(agent_client, chat)

    assert 'data-reason="auto_assign_stopped"' in html
    assert shows_assign(html, chat)
    assert assign_works(agent_client, agent, chat)


def test_a_free_agent_sees_the_chat_being_assigned_and_may_take_it(agent_client, agent, start_chat):
    chat = start_chat()

    html = page(agent_client, chat)

    assert 'data-reason="being_assigned"' in html
    assert shows_assign(html, chat)
    assert assign_works(agent_client, agent, chat)


def test_only_the_excluded_agents_free(agent, colleague, start_chat):
    Presence.objects.filter(agent=colleague).update(logged_in=False)
    chat = start_chat()
    NoReplyExclusion.objects.create(chat=chat, agent=agent)

    assert chat_waiting_reason(chat=chat) == WaitingReason.ONLY_EXCLUDED
    Presence.objects.filter(agent=colleague).update(logged_in=True)
    assert chat_waiting_reason(chat=chat) == WaitingReason.BEING_ASSIGNED


def test_the_customers_owner_counts_among_the_agents_who_could_take_it(
    agent_factory, agent, colleague, queue, start_chat
):
    Presence.objects.filter(agent__in=[agent, colleague]).update(logged_in=False)
    owner = agent_factory(username="owner")  # in no queue
    factories.CustomerFactory(email="vip@example.com", owner=owner, vip=True)
    chat = start_chat(email="vip@example.com")
    assert chat.customer.owner == owner

    assert chat_waiting_reason(chat=chat) == WaitingReason.BEING_ASSIGNED
    pause(owner)
    assert chat_waiting_reason(chat=chat) == WaitingReason.ALL_PAUSED


def test_a_phone_call_counts_as_unavailable_only_when_parameter_6_is_off(agent, colleague, start_chat):
    Presence.objects.filter(agent__in=[agent, colleague]).update(on_phone_call=True)
    chat = start_chat()

    assert chat_waiting_reason(chat=chat) == WaitingReason.BEING_ASSIGNED
    ChatSettings.objects.filter(pk=1).update(assign_during_phone_call=False)
    assert chat_waiting_reason(chat=chat) == WaitingReason.ALL_PAUSED


def test_an_assigned_chat_has_no_waiting_reason(my_chat):
    assert chat_waiting_reason(chat=my_chat) is None

"""The columns the figures are computed from (SPEC.md, "Figures"): the first assignment and the first agent
message survive transfers; an automatic assignment names the runner-up ("why this agent")."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from chat.models import Chat, ChatEvent
from chat.models.strategies import DEFAULT_AGENT_STRATEGY_ORDER
from chat.routing.choice import RoutingContext, choose_agent
from chat.services.chats import chat_transfer
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from tests.chat.routing.helpers import waiting_chat

pytestmark = pytest.mark.django_db


def test_an_automatic_assignment_records_the_runner_up(agent_factory, queue):
    second = agent_factory(queue=queue, priority=1)
    first = agent_factory(queue=queue, priority=5)
    chat = waiting_chat(queue)

    dispatch()

    event = ChatEvent.objects.get(chat=chat, kind="assigned")
    assert (event.agent, event.strategy, event.data.get("runner_up")) == (first, "queue_priority", second.pk)


def test_the_only_eligible_agent_has_no_runner_up(agent_factory, queue):
    agent_factory(queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    assert "runner_up" not in ChatEvent.objects.get(chat=chat, kind="assigned").data


def test_the_waiting_path_choice_names_the_runner_up(agent_factory, queue):
    second = agent_factory(queue=queue, priority=1)
    first = agent_factory(queue=queue, priority=5)
    chat = waiting_chat(queue)

    choice = choose_agent(RoutingContext(chat_id=chat.pk, queue_id=queue.pk), DEFAULT_AGENT_STRATEGY_ORDER)

    assert (choice.agent_id, choice.strategy, choice.runner_up_id) == (first.pk, "queue_priority", second.pk)


def test_first_assignment_and_first_response_survive_a_transfer(agent_factory, queue):
    first = agent_factory(queue=queue)
    other = agent_factory()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        chat = waiting_chat(queue)
        dispatch()
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        message_post(chat_id=chat.pk, sender="agent", author=first, body="Hello")
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        chat_transfer(chat_id=chat.pk, to_agent_id=other.pk)
        message_post(chat_id=chat.pk, sender="agent", author=other, body="I take it from here")

    chat = Chat.objects.get(pk=chat.pk)
    assert chat.assigned_at == start + timedelta(seconds=90)
    assert (chat.first_assigned_at, chat.first_response_at) == (start, start + timedelta(seconds=30))

"""The supervisor's actions in the chat's timeline (issue 15, points 2 and 3): each said in plain words, the
capacity override too, and a take-over not said twice."""

from __future__ import annotations

import pytest
from django.utils import translation

from chat.models import Chat
from chat.selectors import chat_timeline
from chat.services.chats import chat_assign, chat_start
from chat.services.supervision import supervisor_assign, supervisor_take_over
from tests import factories
from tests.chat.routing.helpers import set_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(agent_factory, queue):
    boss = factories.UserFactory(is_staff=True, first_name="Ewa", last_name="Boss")
    factories.PresenceFactory(agent=boss, logged_in=True)
    anna = agent_factory(queue=queue, first_name="Anna", last_name="Nowak")
    jan = agent_factory(queue=queue, first_name="Jan", last_name="Kowalski")
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Visitor")
    if Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING:
        chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    chat = Chat.objects.get(pk=chat.pk)
    return {"boss": boss, "anna": anna, "jan": jan, "chat": chat}


def texts(chat) -> list[str]:
    with translation.override("en"):
        return [entry.text for entry in chat_timeline(chat=chat)]


def test_a_reassignment_over_the_maximum_is_said_with_the_override(scene):
    set_card(max_concurrent_chats=1)
    chat, jan = scene["chat"], scene["jan"]
    factories.ChatFactory(queue=chat.queue, status=Chat.Status.ASSIGNED, agent=jan)
    jan.presence.open_chats = 1
    jan.presence.save()
    holder = chat.agent

    supervisor_assign(chat_id=chat.pk, agent_id=jan.pk, actor=scene["boss"], override_capacity=True)

    last = texts(chat)[-1]
    assert last.startswith(f"Reassigned from {holder.display_name} to Jan Kowalski by the supervisor Ewa Boss.")
    assert "over the agent's maximum of open chats" in last


def test_a_take_over_is_one_line(scene):
    chat = scene["chat"]
    holder = chat.agent

    supervisor_take_over(chat_id=chat.pk, actor=scene["boss"])

    lines = texts(chat)
    assert lines[-1] == f"Ewa Boss took the chat over from {holder.display_name}."
    assert not any(line.startswith("Assigned to Ewa Boss") for line in lines)

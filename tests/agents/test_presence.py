"""Presence services: every change logged once, dispatch when an agent can take chats, log-out strands nothing."""

from __future__ import annotations

import pytest
from django.utils import translation

from agents.models import PauseType, Presence, PresenceEvent
from agents.services import (
    presence_get,
    presence_login,
    presence_logout,
    presence_pause,
    presence_resume,
    presence_set_phone_call,
    presence_update,
)
from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_start
from chat.services.dispatch import dispatch
from chat.services.presence import presence_recount
from core.errors import ApplicationError
from tests import factories
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


@pytest.fixture
def break_type():
    return PauseType.objects.get(code="break")


def events(agent) -> list[str]:
    return list(PresenceEvent.objects.filter(agent=agent).order_by("id").values_list("kind", flat=True))


def test_presence_get_creates_a_logged_out_row():
    user = factories.UserFactory()

    presence = presence_get(agent_id=user.pk)

    assert (presence.logged_in, presence.pause_type, presence.open_chats) == (False, None, 0)


def test_presence_of_an_unknown_agent_is_refused():
    with pytest.raises(ApplicationError) as error:
        presence_login(agent_id=987654)

    assert (error.value.field, error.value.code) == ("agent", "unknown_agent")


def test_login_makes_the_agent_available_and_logs_it(agent_factory):
    agent = agent_factory(logged_in=False)

    presence = presence_login(agent_id=agent.pk, actor=agent)

    assert presence.available
    assert events(agent) == ["logged_in"]


def test_login_twice_writes_one_event(agent_factory):
    agent = agent_factory(logged_in=False)
    presence_login(agent_id=agent.pk)

    presence_login(agent_id=agent.pk)

    assert events(agent) == ["logged_in"]


def test_logged_in_agent_gets_waiting_chats_on_the_next_dispatch(agent_factory, queue):
    agent = agent_factory(queue=queue, logged_in=False)
    chat = waiting_chat(queue)
    presence_login(agent_id=agent.pk)

    dispatch()

    assert Chat.objects.get(pk=chat.pk).agent == agent


@pytest.mark.parametrize(
    ("before", "change"),
    [
        ({"logged_in": False}, lambda agent: presence_login(agent_id=agent.pk)),
        ({"pause_type": "break"}, lambda agent: presence_resume(agent_id=agent.pk)),
        ({"on_phone_call": True}, lambda agent: presence_set_phone_call(agent_id=agent.pk, on_call=False)),
    ],
    ids=["login", "resume", "phone_call_ended"],
)
def test_an_agent_who_may_take_chats_again_gets_a_waiting_chat_once_the_change_commits(
    agent_factory, queue, settings, django_capture_on_commit_callbacks, before, change
):
    """No sweep needed: the change itself asks for a dispatch after its commit (chat answers the agents app's
    hook ``agent_may_take_chats``)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    set_card(assign_during_phone_call=False)
    if "pause_type" in before:
        before = {"pause_type": PauseType.objects.get(code=before["pause_type"])}
    agent = agent_factory(queue=queue, **before)
    chat = waiting_chat(queue)

    with django_capture_on_commit_callbacks(execute=True):
        change(agent)

    assert Chat.objects.get(pk=chat.pk).agent == agent


def test_pause_with_a_type_stops_new_chats(agent_factory, queue, break_type):
    agent = agent_factory(queue=queue)
    presence = presence_pause(agent_id=agent.pk, pause_type_id=break_type.pk, reason="lunch")
    waiting_chat(queue)

    assert presence.pause_type == break_type
    assert dispatch() == 0
    assert PresenceEvent.objects.get(agent=agent).pause_type == break_type


def test_pause_keeps_the_agents_open_chats(agent_factory, queue, break_type):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue)
    dispatch()

    presence_pause(agent_id=agent.pk, pause_type_id=break_type.pk)

    assert Chat.objects.get(pk=chat.pk).agent == agent


def test_pause_type_that_does_not_exist_is_refused(agent_factory):
    agent = agent_factory()

    with pytest.raises(ApplicationError) as error:
        presence_pause(agent_id=agent.pk, pause_type_id=424242)

    assert (error.value.field, error.value.code) == ("pause_type", "unknown_pause_type")
    assert Presence.objects.get(agent=agent).pause_type is None
    assert events(agent) == []


def test_logged_out_agent_cannot_be_paused(agent_factory, break_type):
    agent = agent_factory(logged_in=False)

    with pytest.raises(ApplicationError) as error:
        presence_pause(agent_id=agent.pk, pause_type_id=break_type.pk)

    assert error.value.code == "logged_out"


def test_resume_makes_the_agent_available_again(agent_factory, queue, break_type):
    agent = agent_factory(queue=queue, pause_type=break_type)
    chat = waiting_chat(queue)

    presence_resume(agent_id=agent.pk)
    dispatch()

    assert Chat.objects.get(pk=chat.pk).agent == agent
    assert events(agent) == ["resumed"]


def test_resume_when_not_paused_changes_nothing(agent_factory):
    agent = agent_factory()

    presence_resume(agent_id=agent.pk)

    assert events(agent) == []


def test_phone_call_start_and_end_are_logged(agent_factory):
    agent = agent_factory()

    presence_set_phone_call(agent_id=agent.pk, on_call=True)
    presence_set_phone_call(agent_id=agent.pk, on_call=True)
    presence = presence_set_phone_call(agent_id=agent.pk, on_call=False)

    assert presence.on_phone_call is False
    assert events(agent) == ["phone_call_started", "phone_call_ended"]


def test_phone_call_end_makes_the_agent_eligible_again_with_parameter_6_off(agent_factory, queue):
    agent = agent_factory(queue=queue, on_phone_call=True)
    set_card(assign_during_phone_call=False)
    chat = waiting_chat(queue)
    assert dispatch() == 0

    presence_set_phone_call(agent_id=agent.pk, on_call=False)
    dispatch()

    assert Chat.objects.get(pk=chat.pk).agent == agent


def test_logout_returns_open_chats_to_the_head_of_the_queue(agent_factory, queue):
    agent = agent_factory(queue=queue)
    chat = waiting_chat(queue, minutes_ago=20)
    queued_at = Chat.objects.get(pk=chat.pk).queued_at
    dispatch()

    presence = presence_logout(agent_id=agent.pk)

    stored = Chat.objects.get(pk=chat.pk)
    assert (stored.status, stored.agent, stored.queued_at) == ("waiting", None, queued_at)
    assert presence.open_chats == 0
    event = ChatEvent.objects.get(chat=chat, kind="transferred")
    assert (event.reason, event.from_agent) == ("agent_logged_out", agent)


def test_logout_hands_the_open_chats_to_a_colleague(agent_factory, queue):
    leaving = agent_factory(queue=queue, username="leaving")
    chat = waiting_chat(queue)
    dispatch()
    colleague = agent_factory(queue=queue, username="colleague")

    presence_logout(agent_id=leaving.pk)
    dispatch()

    assert Chat.objects.get(pk=chat.pk).agent == colleague


def test_logout_keeps_internal_chats(agent_factory):
    me, colleague = agent_factory(), agent_factory()
    chat = chat_start(channel="internal", initiator_id=me.pk, peer_id=colleague.pk)

    presence_logout(agent_id=colleague.pk)

    assert Chat.objects.get(pk=chat.pk).status == "assigned"


def test_logout_clears_the_pause(agent_factory, break_type):
    agent = agent_factory(pause_type=break_type)

    presence = presence_logout(agent_id=agent.pk)

    assert (presence.logged_in, presence.pause_type) == (False, None)
    assert events(agent) == ["logged_out"]


def test_update_applies_login_pause_and_phone_call_together(agent_factory, break_type):
    agent = agent_factory(logged_in=False)

    presence = presence_update(agent_id=agent.pk, logged_in=True, pause_type_id=break_type.pk, on_phone_call=True)

    assert (presence.logged_in, presence.pause_type, presence.on_phone_call) == (True, break_type, True)
    assert events(agent) == ["logged_in", "paused", "phone_call_started"]


def test_update_with_pause_none_resumes(agent_factory, break_type):
    agent = agent_factory(pause_type=break_type)

    presence = presence_update(agent_id=agent.pk, pause_type_id=None)

    assert presence.pause_type is None


def test_update_with_an_unknown_pause_type_changes_nothing(agent_factory):
    agent = agent_factory(logged_in=False)

    with pytest.raises(ApplicationError) as error:
        presence_update(agent_id=agent.pk, logged_in=True, pause_type_id=999999)

    assert error.value.field == "pause_type"
    assert Presence.objects.get(agent=agent).logged_in is False


def test_update_refuses_a_pause_together_with_logging_out(agent_factory, break_type):
    agent = agent_factory()

    with pytest.raises(ApplicationError) as error:
        presence_update(agent_id=agent.pk, logged_in=False, pause_type_id=break_type.pk)

    assert error.value.code == "logged_out"
    with translation.override("en"):
        assert "logged-out" in str(error.value)


def test_recount_repairs_a_wrong_counter(agent_factory, queue):
    agent = agent_factory()
    chat_assign(chat_id=waiting_chat(queue).pk, agent_id=agent.pk)
    Presence.objects.filter(agent=agent).update(open_chats=3)

    assert presence_recount() == 1
    assert Presence.objects.get(agent=agent).open_chats == 1

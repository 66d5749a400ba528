"""Presence follows the open inbox (issue 13, point 4): an agent with no open inbox for the card's time gets no
more chats; he is paused or logged out, and his chats go to a colleague. Reconnecting in time changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from agents.models import PauseType, Presence, PresenceEvent
from agents.services import presence_live_closed, presence_live_lost, presence_live_seen, presence_login
from chat import tasks
from chat.models import Chat, ChatEvent
from chat.services.dispatch import dispatch
from chat.services.rules import presence_follow_inbox

from .conftest import reload

pytestmark = pytest.mark.django_db


@pytest.fixture
def leaving(clock, agent_factory, queue):
    """Anna, logged in through the inbox at T0, holding one chat."""
    agent = agent_factory(queue=queue, logged_in=False, username="anna")
    presence_login(agent_id=agent.pk)
    return agent


def presence(agent) -> Presence:
    return Presence.objects.get(agent=agent)


def status(agent) -> tuple:
    p = presence(agent)
    return p.logged_in, p.pause_type_id


def keep_alive(agent, clock, *, until: int) -> None:
    """The agent's open inbox: a heartbeat every 20 s from T0 to ``until`` seconds."""
    for second in range(0, until + 1, 20):
        clock(seconds=second)
        presence_live_seen(agent_id=agent.pk)


def test_an_agent_seen_within_the_limit_keeps_his_state(clock, leaving):
    clock(seconds=59)
    assert presence_follow_inbox() == 0
    assert status(leaving) == (True, None)
    clock(seconds=60)  # the limit reached: like every timed rule, "for X seconds" includes X
    assert presence_follow_inbox() == 1


def test_a_silent_agent_is_logged_out_and_his_chat_goes_to_a_colleague(clock, leaving, make_chat, queue, agent_factory):
    chat = make_chat(status=Chat.Status.WAITING)
    dispatch()
    assert reload(chat).agent == leaving
    colleague = agent_factory(queue=queue, logged_in=False, username="bartek")
    presence_login(agent_id=colleague.pk)  # at T0, and his inbox stays open
    keep_alive(colleague, clock, until=60)

    clock(seconds=61)
    assert presence_follow_inbox() == 1

    assert status(leaving) == (False, None)
    event = PresenceEvent.objects.filter(agent=leaving).latest("id")
    assert (event.kind, event.reason) == ("logged_out", "no_inbox")
    assert reload(chat).agent == colleague  # the log-out rule: back at the head of the queue, then dispatched
    transfer = ChatEvent.objects.get(chat=chat, kind="transferred")
    assert (transfer.reason, transfer.from_agent) == ("agent_logged_out", leaving)
    assert presence(leaving).open_chats == 0
    assert status(colleague) == (True, None)


def test_a_silent_agent_is_put_on_the_configured_pause_and_his_chat_goes_to_a_colleague(
    clock, card, leaving, make_chat, queue, agent_factory
):
    pause = PauseType.objects.get(code="administrative")
    card(no_inbox_pause_type=pause)
    chat = make_chat(status=Chat.Status.WAITING)
    dispatch()
    colleague = agent_factory(queue=queue, logged_in=False, username="bartek")
    presence_login(agent_id=colleague.pk)
    keep_alive(colleague, clock, until=80)

    clock(seconds=80)
    assert presence_follow_inbox() == 1

    assert status(leaving) == (True, pause.pk)
    event = PresenceEvent.objects.filter(agent=leaving).latest("id")
    assert (event.kind, event.reason, event.pause_type_id) == ("paused", "no_inbox", pause.pk)
    assert reload(chat).agent == colleague
    transfer = ChatEvent.objects.get(chat=chat, kind="transferred")
    assert (transfer.reason, transfer.from_agent) == ("no_inbox", leaving)


def test_the_limit_counts_from_the_last_heartbeat(clock, leaving):
    keep_alive(leaving, clock, until=100)  # last sign at T0+100
    clock(seconds=159)
    assert presence_follow_inbox() == 0
    clock(seconds=160)
    assert presence_follow_inbox() == 1
    assert status(leaving) == (False, None)


def test_reconnecting_within_the_limit_changes_nothing(clock, leaving):
    clock(seconds=10)
    presence_live_closed(agent_id=leaving.pk)  # the page closed (a reload, a network change)
    clock(seconds=55)
    presence_live_seen(agent_id=leaving.pk)  # back
    clock(seconds=100)
    assert presence_follow_inbox() == 0
    assert status(leaving) == (True, None)
    assert list(PresenceEvent.objects.filter(agent=leaving).values_list("kind", flat=True)) == ["logged_in"]


def test_a_closed_page_counts_from_the_moment_it_closed(clock, leaving):
    clock(seconds=30)
    presence_live_closed(agent_id=leaving.pk)
    clock(seconds=89)
    assert presence_follow_inbox() == 0
    clock(seconds=90)
    assert presence_follow_inbox() == 1


def test_zero_switches_the_rule_off(clock, card, leaving):
    card(no_inbox_after=0)
    clock(days=3)
    assert presence_follow_inbox() == 0
    assert status(leaving) == (True, None)


def test_a_changed_limit_acts_at_the_next_run(clock, card, leaving):
    card(no_inbox_after=300)
    clock(seconds=120)
    assert presence_follow_inbox() == 0
    card(no_inbox_after=90)
    assert presence_follow_inbox() == 1


def test_a_second_run_changes_nothing(clock, leaving, make_chat):
    make_chat(status=Chat.Status.WAITING)
    dispatch()
    clock(seconds=61)
    assert presence_follow_inbox() == 1
    events = PresenceEvent.objects.count(), ChatEvent.objects.count()

    assert presence_follow_inbox() == 0
    clock(seconds=600)
    assert presence_follow_inbox() == 0
    assert (PresenceEvent.objects.count(), ChatEvent.objects.count()) == events


def test_an_agent_already_paused_or_logged_out_is_left_alone(clock, agent_factory):
    pause = PauseType.objects.get(code="break")
    on_break = agent_factory(pause_type=pause)
    logged_out = agent_factory(logged_in=False)
    Presence.objects.update(live_seen_at=clock())
    clock(hours=2)
    assert presence_follow_inbox() == 0
    assert (status(on_break), status(logged_out)) == ((True, pause.pk), (False, None))
    assert not PresenceEvent.objects.exists()


def test_an_agent_on_a_phone_call_is_taken_off_like_any_other(clock, leaving):
    Presence.objects.filter(agent=leaving).update(on_phone_call=True)
    clock(seconds=61)
    assert presence_follow_inbox() == 1
    assert status(leaving) == (False, None)
    assert presence(leaving).on_phone_call is True  # the PBX's flag is the PBX's


def test_a_heartbeat_after_the_rule_read_what_is_due_wins(clock, leaving):
    cutoff = clock(seconds=1)  # what the rule computed: "not seen since T0+1"
    clock(seconds=61)
    presence_live_seen(agent_id=leaving.pk)  # the heartbeat commits before the rule's UPDATE
    assert presence_live_lost(agent_id=leaving.pk, seen_before=cutoff) is None
    assert status(leaving) == (True, None)


def test_the_agent_comes_back_by_logging_in_and_gets_a_new_grace_period(clock, leaving):
    clock(seconds=61)
    presence_follow_inbox()
    clock(seconds=300)
    presence_login(agent_id=leaving.pk)
    clock(seconds=359)
    assert presence_follow_inbox() == 0
    assert status(leaving) == (True, None)


def test_the_task_and_the_command_run_the_rule(clock, leaving, capsys):
    clock(seconds=61)
    assert tasks.presence_follow_inbox.apply().get() == 1
    presence_login(agent_id=leaving.pk)
    clock(seconds=200)
    call_command("run_chat_rules", "--rule", "follow_inbox")
    assert "follow_inbox: 1 agents without an open inbox paused or logged out" in capsys.readouterr().out

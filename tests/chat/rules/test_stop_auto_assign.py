"""Stopping automatic assignment (parameter 13): 0 = never, X hours from the queue time."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent
from chat.services.dispatch import dispatch
from chat.services.rules import chats_stop_auto_assign

from .conftest import reload

pytestmark = pytest.mark.django_db

DAY = 24


def test_chat_waiting_one_second_less_than_x_hours_is_still_auto_assigned(clock, card, make_chat):
    card(stop_auto_assign_after_hours=DAY)
    chat = make_chat()
    clock(hours=DAY, seconds=-1)
    assert chats_stop_auto_assign() == 0
    assert reload(chat).auto_assign_stopped_at is None


def test_chat_waiting_x_hours_is_no_longer_auto_assigned(clock, card, make_chat):
    card(stop_auto_assign_after_hours=DAY)
    chat = make_chat()
    stopped_at = clock(hours=DAY)
    assert chats_stop_auto_assign() == 1
    chat = reload(chat)
    assert (chat.status, chat.auto_assign_stopped_at) == (Chat.Status.WAITING, stopped_at)


def test_stopping_writes_one_event(clock, card, make_chat, queue):
    card(stop_auto_assign_after_hours=DAY)
    chat = make_chat()
    clock(hours=DAY)
    chats_stop_auto_assign()
    events = list(ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED))
    assert [(e.queue_id, e.data) for e in events] == [(queue.pk, {"after_hours": DAY})]


def test_running_twice_stops_once_and_writes_one_event(clock, card, make_chat):
    card(stop_auto_assign_after_hours=DAY)
    chat = make_chat()
    first = clock(hours=DAY)
    chats_stop_auto_assign()
    clock(hours=DAY + 1)
    assert chats_stop_auto_assign() == 0
    assert reload(chat).auto_assign_stopped_at == first
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED).count() == 1


def test_zero_hours_never_stops(clock, card, make_chat):
    card(stop_auto_assign_after_hours=0)
    chat = make_chat()
    clock(days=365)
    assert chats_stop_auto_assign() == 0
    assert reload(chat).auto_assign_stopped_at is None


def test_counts_from_the_queue_time_not_the_start(clock, card, make_chat):
    card(stop_auto_assign_after_hours=1)
    chat = make_chat(queued_at=clock(minutes=30))
    clock(minutes=89)
    assert chats_stop_auto_assign() == 0
    clock(minutes=90)
    assert chats_stop_auto_assign() == 1
    assert reload(chat).auto_assign_stopped_at is not None


def test_assigned_and_closed_chats_are_left_alone(clock, card, make_chat, agent_factory):
    card(stop_auto_assign_after_hours=1)
    make_chat(status=Chat.Status.ASSIGNED, agent=agent_factory())
    make_chat(status=Chat.Status.CLOSED, closed_at=clock())
    clock(hours=5)
    assert chats_stop_auto_assign() == 0


def test_a_changed_setting_acts_at_the_next_run(clock, card, make_chat):
    card(stop_auto_assign_after_hours=DAY)
    chat = make_chat()
    clock(hours=3)
    assert chats_stop_auto_assign() == 0
    card(stop_auto_assign_after_hours=2)
    assert chats_stop_auto_assign() == 1
    assert reload(chat).auto_assign_stopped_at is not None


def test_a_stopped_chat_stays_waiting_and_dispatch_leaves_it_for_a_manual_assign(
    clock, card, make_chat, agent_factory, queue
):
    card(stop_auto_assign_after_hours=1)
    chat = make_chat()
    clock(hours=1)
    chats_stop_auto_assign()
    agent_factory(queue=queue)  # an eligible agent appears
    assert dispatch() == 0
    assert reload(chat).status == Chat.Status.WAITING

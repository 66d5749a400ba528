"""Closing inactive chats (parameters 1, 2, 8): each channel, both "count from" modes, each boundary."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent, Message
from chat.services.rules import chats_close_inactive
from chat.services.visitors import chat_heartbeat, chat_page_closed

from .conftest import open_chats, reload

pytestmark = pytest.mark.django_db

HOUR = 3600
HEARTBEAT = 90


@pytest.fixture
def agent(agent_factory):
    return agent_factory(username="ala")


# --- website, "page closed" mode (the default) --------------------------------


def test_website_chat_stays_open_one_second_before_the_hour_after_the_page_closed(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat()
    chat_page_closed(chat_id=chat.pk)
    clock(seconds=HOUR - 1)
    assert chats_close_inactive() == 0
    assert reload(chat).status == Chat.Status.WAITING


def test_website_chat_closes_an_hour_after_the_page_closed(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat()
    chat_page_closed(chat_id=chat.pk)
    clock(seconds=HOUR)
    assert chats_close_inactive() == 1
    chat = reload(chat)
    assert (chat.status, chat.close_reason) == (Chat.Status.CLOSED, Chat.CloseReason.INACTIVITY)
    assert chat.closed_at == clock(seconds=HOUR)


def test_lost_heartbeat_starts_the_clock_90_seconds_after_the_last_one(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat()  # last heartbeat at T0, the page never reported closing
    clock(seconds=HEARTBEAT + HOUR - 1)
    assert chats_close_inactive() == 0
    clock(seconds=HEARTBEAT + HOUR)
    assert chats_close_inactive() == 1
    assert reload(chat).close_reason == Chat.CloseReason.INACTIVITY


def test_visitor_returning_to_the_page_stops_the_clock(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat()
    chat_page_closed(chat_id=chat.pk)
    clock(seconds=HOUR - 10)
    chat_heartbeat(chat_id=chat.pk)  # the visitor is back
    clock(seconds=HOUR + 10)
    chat_heartbeat(chat_id=chat.pk)
    assert chats_close_inactive() == 0
    assert reload(chat).status == Chat.Status.WAITING


def test_after_the_return_the_clock_restarts_when_the_heartbeat_stops_again(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat()
    chat_page_closed(chat_id=chat.pk)
    clock(seconds=1000)
    chat_heartbeat(chat_id=chat.pk)  # last sign of life at T0 + 1000
    clock(seconds=1000 + HEARTBEAT + HOUR - 1)
    assert chats_close_inactive() == 0
    clock(seconds=1000 + HEARTBEAT + HOUR)
    assert chats_close_inactive() == 1


def test_page_closed_mode_ignores_an_old_client_message_while_the_page_is_open(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat(last_client_message_at=clock())
    clock(seconds=5 * HOUR)
    chat_heartbeat(chat_id=chat.pk)
    assert chats_close_inactive() == 0


# --- website, "client's last message" mode ----------------------------------------


def test_last_message_mode_closes_an_hour_after_the_clients_last_message(clock, card, make_chat):
    card(inactivity_counted_from="last_client_message")
    chat = make_chat(last_client_message_at=clock(seconds=100))
    clock(seconds=100 + HOUR - 1)
    chat_heartbeat(chat_id=chat.pk)  # an open page does not matter in this mode
    assert chats_close_inactive() == 0
    clock(seconds=100 + HOUR)
    chat_heartbeat(chat_id=chat.pk)
    assert chats_close_inactive() == 1


def test_last_message_mode_counts_from_the_start_when_the_client_never_wrote(clock, card, make_chat):
    card(inactivity_counted_from="last_client_message")
    chat = make_chat()
    clock(seconds=HOUR - 1)
    assert chats_close_inactive() == 0
    clock(seconds=HOUR)
    assert chats_close_inactive() == 1
    assert reload(chat).status == Chat.Status.CLOSED


def test_last_message_mode_does_not_close_on_a_closed_page_alone(clock, card, make_chat):
    card(inactivity_counted_from="last_client_message")
    chat = make_chat(last_client_message_at=clock(seconds=HOUR))
    chat_page_closed(chat_id=chat.pk)
    clock(seconds=HOUR + 10)
    assert chats_close_inactive() == 0


# --- Messenger and internal -----------------------------------------------------------

WEEK = 604800
EIGHT_HOURS = 28800


def test_messenger_chat_stays_open_one_second_before_a_week_after_the_clients_last_message(
    clock, card, make_chat
):
    card(inactivity_counted_from="page_closed")  # Messenger always counts from the client's message
    chat = make_chat(channel=Chat.Channel.MESSENGER, last_client_message_at=clock(), visitor_messenger_id="m1")
    clock(seconds=WEEK - 1)
    assert chats_close_inactive() == 0
    assert reload(chat).status == Chat.Status.WAITING


def test_messenger_chat_closes_a_week_after_the_clients_last_message(clock, card, make_chat):
    card(inactivity_counted_from="page_closed")
    chat = make_chat(channel=Chat.Channel.MESSENGER, last_client_message_at=clock(), visitor_messenger_id="m1")
    clock(seconds=WEEK)
    assert chats_close_inactive() == 1
    assert reload(chat).close_reason == Chat.CloseReason.INACTIVITY


def test_internal_chat_closes_eight_hours_after_anyones_last_message(clock, make_chat, agent):
    chat = make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=agent,
                     last_message_at=clock(seconds=600))
    clock(seconds=600 + EIGHT_HOURS - 1)
    assert chats_close_inactive() == 0
    clock(seconds=600 + EIGHT_HOURS)
    assert chats_close_inactive() == 1
    assert reload(chat).close_reason == Chat.CloseReason.INACTIVITY


def test_internal_chat_without_messages_counts_from_its_start(clock, make_chat, agent):
    chat = make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=agent)
    clock(seconds=EIGHT_HOURS - 1)
    assert chats_close_inactive() == 0
    clock(seconds=EIGHT_HOURS)
    assert chats_close_inactive() == 1
    assert reload(chat).status == Chat.Status.CLOSED


def test_internal_chat_uses_the_internal_timeout_not_the_website_one(clock, make_chat, agent):
    make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=agent, last_message_at=clock())
    clock(seconds=2 * HOUR)
    assert chats_close_inactive() == 0


# --- what a close does ----------------------------------------------------------------


def test_close_frees_the_agents_slot(clock, make_chat, agent):
    chat = make_chat(status=Chat.Status.ASSIGNED, agent=agent, page_closed_at=clock())
    assert open_chats(agent) == 1
    clock(seconds=HOUR)
    chats_close_inactive()
    assert open_chats(agent) == 0
    assert reload(chat).agent == agent  # the history keeps who had it


def test_closing_an_internal_chat_frees_no_slot(clock, make_chat, agent):
    make_chat(status=Chat.Status.ASSIGNED, agent=agent, page_closed_at=clock())
    make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=agent)
    clock(seconds=EIGHT_HOURS)
    assert chats_close_inactive() == 2
    assert open_chats(agent) == 0


def test_close_adds_one_system_message_and_one_closed_event(clock, make_chat, agent):
    chat = make_chat(status=Chat.Status.ASSIGNED, agent=agent, page_closed_at=clock())
    clock(seconds=HOUR)
    chats_close_inactive()
    messages = list(Message.objects.filter(chat=chat))
    assert [m.sender for m in messages] == [Message.Sender.SYSTEM]
    assert messages[0].body
    events = list(ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.CLOSED))
    assert [(e.reason, e.agent_id) for e in events] == [(Chat.CloseReason.INACTIVITY, agent.pk)]


def test_running_the_rule_twice_closes_once_and_writes_one_event(clock, make_chat, agent):
    chat = make_chat(status=Chat.Status.ASSIGNED, agent=agent, page_closed_at=clock())
    clock(seconds=HOUR)
    assert chats_close_inactive() == 1
    clock(seconds=HOUR + 30)
    assert chats_close_inactive() == 0
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.CLOSED).count() == 1
    assert Message.objects.filter(chat=chat).count() == 1
    assert open_chats(agent) == 0


def test_the_freed_slot_goes_to_a_waiting_chat(clock, card, make_chat, agent_factory, queue):
    card(max_concurrent_chats=1)
    agent = agent_factory(username="ola", queue=queue)
    make_chat(status=Chat.Status.ASSIGNED, agent=agent, page_closed_at=clock())
    clock(seconds=HOUR - 60)
    waiting = make_chat()
    clock(seconds=HOUR)
    chats_close_inactive()
    waiting = reload(waiting)
    assert (waiting.status, waiting.agent) == (Chat.Status.ASSIGNED, agent)


def test_a_changed_timeout_acts_at_the_next_run(clock, card, make_chat):
    chat = make_chat(page_closed_at=clock())
    clock(seconds=700)
    assert chats_close_inactive() == 0
    card(inactivity_timeout_website=600)
    assert chats_close_inactive() == 1
    assert reload(chat).status == Chat.Status.CLOSED


def test_a_changed_mode_acts_at_the_next_run(clock, card, make_chat):
    chat = make_chat(last_client_message_at=clock())
    clock(seconds=2 * HOUR)
    chat_heartbeat(chat_id=chat.pk)
    assert chats_close_inactive() == 0
    card(inactivity_counted_from="last_client_message")
    assert chats_close_inactive() == 1


def test_timeout_zero_switches_the_rule_off_for_that_channel(clock, card, make_chat):
    card(inactivity_timeout_website=0)
    chat = make_chat(page_closed_at=clock())
    clock(days=30)
    assert chats_close_inactive() == 0
    assert reload(chat).status == Chat.Status.WAITING


def test_a_closed_chat_is_not_closed_again(clock, make_chat):
    chat = make_chat(status=Chat.Status.CLOSED, closed_at=clock(), close_reason="agent", page_closed_at=clock())
    clock(days=1)
    assert chats_close_inactive() == 0
    chat = reload(chat)
    assert (chat.close_reason, chat.closed_at) == ("agent", clock())
    assert not ChatEvent.objects.filter(chat=chat).exists()


def test_the_closing_system_message_does_not_move_the_activity_clocks(clock, make_chat, agent):
    chat = make_chat(channel=Chat.Channel.INTERNAL, status=Chat.Status.ASSIGNED, agent=agent, last_message_at=clock())
    clock(seconds=EIGHT_HOURS)
    chats_close_inactive()
    chat = reload(chat)
    assert (chat.last_message_at, chat.last_client_message_at) == (clock(), None)


def test_a_closed_chat_refuses_further_messages(clock, make_chat):
    from chat.services.errors import ChatError
    from chat.services.messages import message_post

    chat = make_chat(page_closed_at=clock())
    clock(seconds=HOUR)
    chats_close_inactive()
    with pytest.raises(ChatError) as refused:
        message_post(chat_id=chat.pk, sender="system", body="late")
    assert refused.value.code == "closed"
    assert reload(chat).status == Chat.Status.CLOSED

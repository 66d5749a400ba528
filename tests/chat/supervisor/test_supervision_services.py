"""Issue 15, point 2: the supervisor's actions as services (chat.services.supervision). Each writes an audit record
naming him, each refuses somebody who is not staff with nothing written, the maximum holds unless he overrides it
(recorded), and a whisper never reaches the visitor."""

from __future__ import annotations

import pytest

from agents.models import PauseType, Presence, PresenceEvent
from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_close, system_text
from chat.services.chats.handover import NOW_TALKING_WITH
from chat.services.dispatch import dispatch
from chat.services.errors import ChatError
from chat.services.supervision import (
    supervisor_assign,
    supervisor_join,
    supervisor_logout_agent,
    supervisor_pause_agent,
    supervisor_take_over,
    supervisor_whisper,
)
from core.errors import ApplicationError
from tests.chat.routing.helpers import set_card, waiting_chat
from tests.chat.services.chat_helpers import open_chats

pytestmark = pytest.mark.django_db


def events(chat, kind):
    return list(ChatEvent.objects.filter(chat=chat, kind=kind).order_by("id"))


# --- assign and reassign -----------------------------------------------------------------------------------------


def test_a_supervisor_assigns_a_waiting_chat_to_any_agent_and_is_named_on_the_assignment(
    supervisor, agent_factory, queue
):
    bartek = agent_factory(first_name="Bartek")  # not even a member of the queue
    chat = waiting_chat(queue)

    supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor)

    chat.refresh_from_db()
    assert (chat.status, chat.agent) == (Chat.Status.ASSIGNED, bartek)
    [assigned] = events(chat, ChatEvent.Kind.ASSIGNED)
    assert (assigned.actor, assigned.agent, assigned.strategy) == (supervisor, bartek, "manual")
    assert assigned.data == {"supervisor": True}
    assert open_chats(bartek) == 1


def test_a_supervisor_reassigns_an_assigned_chat_as_a_transfer_with_reason_supervisor(
    supervisor, assigned, agent_factory
):
    chat, anna = assigned
    bartek = agent_factory(first_name="Bartek")

    supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor)

    chat.refresh_from_db()
    assert chat.agent == bartek
    [transfer] = events(chat, ChatEvent.Kind.TRANSFERRED)
    assert (transfer.reason, transfer.actor, transfer.from_agent, transfer.agent) == (
        "supervisor", supervisor, anna, bartek
    )
    assert (open_chats(anna), open_chats(bartek)) == (0, 1)
    assert Message.objects.filter(chat=chat, sender="system", body=system_text(NOW_TALKING_WITH) % {"name": "Bartek"})


def test_the_maximum_refuses_a_full_agent_with_nothing_written(supervisor, agent_factory, queue):
    set_card(max_concurrent_chats=1)
    bartek = agent_factory(first_name="Bartek")
    supervisor_assign(chat_id=waiting_chat(queue).pk, agent_id=bartek.pk, actor=supervisor)
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as refused:
        supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor)

    assert refused.value.code == "agent_full"
    chat.refresh_from_db()
    assert chat.status == Chat.Status.WAITING and not events(chat, ChatEvent.Kind.ASSIGNED)
    assert open_chats(bartek) == 1


def test_an_override_gives_a_full_agent_the_chat_records_it_and_dispatch_gives_him_nothing_more(
    supervisor, agent_factory, queue
):
    set_card(max_concurrent_chats=1)
    bartek = agent_factory(first_name="Bartek", queue=queue)
    supervisor_assign(chat_id=waiting_chat(queue).pk, agent_id=bartek.pk, actor=supervisor)
    chat = waiting_chat(queue)

    supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor, override_capacity=True)

    chat.refresh_from_db()
    assert chat.agent == bartek
    [assigned] = events(chat, ChatEvent.Kind.ASSIGNED)
    assert assigned.data == {"supervisor": True, "capacity_overridden": True}
    assert open_chats(bartek) == 2  # over the maximum of 1, as the supervisor decided
    third = waiting_chat(queue)
    dispatch()
    third.refresh_from_db()
    assert third.status == Chat.Status.WAITING and open_chats(bartek) == 2


def test_an_override_is_recorded_only_when_the_maximum_was_passed(supervisor, assigned, agent_factory):
    chat, _anna = assigned
    bartek = agent_factory()

    supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor, override_capacity=True)

    assert "capacity_overridden" not in events(chat, ChatEvent.Kind.TRANSFERRED)[0].data


def test_an_override_does_not_give_a_chat_to_a_logged_out_agent(supervisor, agent_factory, queue):
    bartek = agent_factory(logged_in=False)
    chat = waiting_chat(queue)

    with pytest.raises(ChatError) as refused:
        supervisor_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=supervisor, override_capacity=True)

    assert refused.value.code == "agent_logged_out"


# --- pause and log out ---------------------------------------------------------------------------------------------


def test_a_supervisor_pauses_an_agent_and_the_presence_log_names_him(supervisor, assigned):
    chat, anna = assigned
    pause = PauseType.objects.get(code="break")

    supervisor_pause_agent(agent_id=anna.pk, pause_type_id=pause.pk, actor=supervisor)

    assert Presence.objects.get(agent=anna).pause_type == pause
    event = PresenceEvent.objects.filter(agent=anna).first()
    assert (event.kind, event.actor, event.reason, event.pause_type) == ("paused", supervisor, "supervisor", pause)
    assert Chat.objects.get(pk=chat.pk).agent == anna  # a pause keeps his chats


def test_a_supervisor_logs_an_agent_out_and_his_chats_go_back_to_the_queue(supervisor, assigned):
    chat, anna = assigned

    supervisor_logout_agent(agent_id=anna.pk, actor=supervisor)

    assert not Presence.objects.get(agent=anna).logged_in
    event = PresenceEvent.objects.filter(agent=anna).first()
    assert (event.kind, event.actor, event.reason) == ("logged_out", supervisor, "supervisor")
    chat.refresh_from_db()
    assert chat.status == Chat.Status.WAITING and open_chats(anna) == 0
    [requeued] = events(chat, ChatEvent.Kind.TRANSFERRED)
    assert (requeued.reason, requeued.actor) == ("agent_logged_out", supervisor)


def test_logging_out_a_logged_out_agent_is_refused(supervisor, agent_factory):
    away = agent_factory(logged_in=False)

    with pytest.raises(ApplicationError) as refused:
        supervisor_logout_agent(agent_id=away.pk, actor=supervisor)

    assert refused.value.code == "logged_out"


# --- join, whisper ---------------------------------------------------------------------------------------------


def test_joining_is_recorded_once_per_supervisor_and_tells_nobody(supervisor, assigned):
    chat, anna = assigned
    messages_before = Message.objects.filter(chat=chat).count()

    first = supervisor_join(chat_id=chat.pk, actor=supervisor)
    again = supervisor_join(chat_id=chat.pk, actor=supervisor)

    assert first == again
    [joined] = events(chat, ChatEvent.Kind.SUPERVISOR_JOINED)
    assert (joined.actor, joined.agent) == (supervisor, anna)
    assert Message.objects.filter(chat=chat).count() == messages_before


def test_a_closed_chat_cannot_be_joined(supervisor, queue):
    chat = waiting_chat(queue)
    chat_close(chat_id=chat.pk, reason="admin")

    with pytest.raises(ChatError) as refused:
        supervisor_join(chat_id=chat.pk, actor=supervisor)

    assert refused.value.code == "closed"


def test_a_whisper_is_a_private_note_of_the_supervisor_recorded_for_the_agent(supervisor, assigned):
    chat, anna = assigned

    note = supervisor_whisper(chat_id=chat.pk, actor=supervisor, body="Offer the 10% discount.")

    assert (note.sender, note.author, note.body) == ("note", supervisor, "Offer the 10% discount.")
    [whispered] = events(chat, ChatEvent.Kind.WHISPERED)
    assert (whispered.actor, whispered.agent, whispered.data) == (supervisor, anna, {"message": note.pk})
    assert note not in Message.objects.filter(chat=chat).for_visitor()


def test_a_waiting_chat_has_nobody_to_whisper_to_and_an_empty_whisper_is_refused(supervisor, queue, assigned):
    with pytest.raises(ChatError) as waiting:
        supervisor_whisper(chat_id=waiting_chat(queue).pk, actor=supervisor, body="hello")
    with pytest.raises(ChatError) as empty:
        supervisor_whisper(chat_id=assigned[0].pk, actor=supervisor, body="   ")

    assert (waiting.value.code, empty.value.code) == ("not_assigned", "required")
    assert not ChatEvent.objects.filter(kind=ChatEvent.Kind.WHISPERED).exists()


# --- take over ---------------------------------------------------------------------------------------------------


def test_taking_over_moves_the_slot_logs_the_supervisor_in_and_tells_the_visitor_who_answers(supervisor, assigned):
    chat, anna = assigned

    supervisor_take_over(chat_id=chat.pk, actor=supervisor)

    chat.refresh_from_db()
    assert (chat.status, chat.agent) == (Chat.Status.ASSIGNED, supervisor)
    assert (open_chats(anna), open_chats(supervisor)) == (0, 1)
    [taken] = events(chat, ChatEvent.Kind.TAKEN_OVER)
    assert (taken.actor, taken.agent, taken.from_agent, taken.reason) == (supervisor, supervisor, anna, "taken_over")
    assert not events(chat, ChatEvent.Kind.TRANSFERRED)  # a take-over is not counted as a transfer
    login = PresenceEvent.objects.filter(agent=supervisor).first()
    assert (login.kind, login.actor, login.reason) == ("logged_in", supervisor, "taken_over")
    line = Message.objects.filter(chat=chat, sender="system").last()
    assert line.body == system_text(NOW_TALKING_WITH) % {"name": "Sylwia"}
    assert line in Message.objects.filter(chat=chat).for_visitor()


def test_taking_over_a_waiting_chat_assigns_it_to_the_supervisor(supervisor, queue):
    chat = waiting_chat(queue)

    supervisor_take_over(chat_id=chat.pk, actor=supervisor)

    chat.refresh_from_db()
    assert chat.agent == supervisor
    [taken] = events(chat, ChatEvent.Kind.TAKEN_OVER)
    assert (taken.actor, taken.from_agent) == (supervisor, None)


def test_a_full_supervisor_takes_over_only_with_the_override(supervisor, assigned, queue):
    chat, anna = assigned
    set_card(max_concurrent_chats=1)
    supervisor_take_over(chat_id=waiting_chat(queue).pk, actor=supervisor)

    with pytest.raises(ChatError) as refused:
        supervisor_take_over(chat_id=chat.pk, actor=supervisor)
    assert refused.value.code == "agent_full"
    assert Chat.objects.get(pk=chat.pk).agent == anna and open_chats(anna) == 1

    supervisor_take_over(chat_id=chat.pk, actor=supervisor, override_capacity=True)
    assert events(chat, ChatEvent.Kind.TAKEN_OVER)[0].data == {"capacity_overridden": True}
    assert (open_chats(anna), open_chats(supervisor)) == (0, 2)


def test_a_chat_already_his_cannot_be_taken_over_again(supervisor, queue):
    chat = waiting_chat(queue)
    supervisor_take_over(chat_id=chat.pk, actor=supervisor)

    with pytest.raises(ChatError) as refused:
        supervisor_take_over(chat_id=chat.pk, actor=supervisor)

    assert refused.value.code == "same_agent"


# --- only staff ----------------------------------------------------------------------------------------------------


def test_somebody_who_is_not_staff_is_refused_every_action_with_nothing_written(assigned, agent_factory, queue):
    chat, anna = assigned
    colleague = agent_factory(first_name="Cezary")
    pause = PauseType.objects.get(code="break")
    waiting = waiting_chat(queue)
    actions = [
        lambda: supervisor_assign(chat_id=waiting.pk, agent_id=colleague.pk, actor=anna),
        lambda: supervisor_assign(chat_id=chat.pk, agent_id=colleague.pk, actor=colleague),
        lambda: supervisor_pause_agent(agent_id=colleague.pk, pause_type_id=pause.pk, actor=anna),
        lambda: supervisor_logout_agent(agent_id=colleague.pk, actor=anna),
        lambda: supervisor_join(chat_id=chat.pk, actor=colleague),
        lambda: supervisor_whisper(chat_id=chat.pk, actor=colleague, body="psst"),
        lambda: supervisor_take_over(chat_id=chat.pk, actor=colleague),
        lambda: supervisor_take_over(chat_id=chat.pk, actor=None),
    ]
    events_before, presence_before = ChatEvent.objects.count(), PresenceEvent.objects.count()

    for action in actions:
        with pytest.raises(ChatError) as refused:
            action()
        assert refused.value.code == "forbidden"

    assert (ChatEvent.objects.count(), PresenceEvent.objects.count()) == (events_before, presence_before)
    assert Chat.objects.get(pk=chat.pk).agent == anna and Chat.objects.get(pk=waiting.pk).agent is None


def test_a_whisper_counts_as_unread_for_the_agent_and_his_own_notes_do_not(supervisor, assigned):
    from chat.inbox.selectors import inbox_my_chats
    from chat.services.chats import chat_mark_read
    from chat.services.messages import message_post

    chat, anna = assigned
    chat_mark_read(chat_id=chat.pk, agent_id=anna.pk)
    message_post(chat_id=chat.pk, sender="note", author_id=anna.pk, body="my own reminder")
    assert inbox_my_chats(user=anna).get(pk=chat.pk).unread == 0

    supervisor_whisper(chat_id=chat.pk, actor=supervisor, body="Offer the discount.")

    assert inbox_my_chats(user=anna).get(pk=chat.pk).unread == 1  # his sidebar's count grows: the inbox rings

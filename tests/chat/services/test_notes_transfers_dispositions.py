"""Issue 14, point 4: private notes, the transfer's note and system line, and the disposition of a close.

A private note is for the agents only: every way out to the visitor (the widget's list, its push, a file
download, the Messenger outbox) leaves it out, and it is no reply for the chat's clocks. A transfer carries a note
for the next agent and tells both sides who answers now. Closing asks for a disposition from the admin's list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.messenger.outbox import messenger_message_deliver
from chat.models import Chat, ChatEvent, ChatSettings, Disposition, Message
from chat.selectors import chat_transfer_note
from chat.services.chats import chat_assign, chat_close, chat_transfer
from chat.services.errors import ChatError
from chat.services.messages import message_post
from tests import factories
from tests.chat.routing.helpers import waiting_chat
from tests.chat.services.chat_helpers import open_chats

pytestmark = pytest.mark.django_db


def now_talking_with(name: str) -> str:
    """The transfer's system line as stored: in the site's language (``system_text``)."""
    from chat.services.chats import system_text
    from chat.services.chats.handover import NOW_TALKING_WITH

    return system_text(NOW_TALKING_WITH) % {"name": name}


@pytest.fixture
def assigned(agent_factory, queue):
    agent = agent_factory(first_name="Anna")
    chat = waiting_chat(queue)
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    return Chat.objects.get(pk=chat.pk), agent


# --- private notes ----------------------------------------------------------------------------------------------


def test_a_private_note_is_stored_for_the_agents_and_left_out_of_what_the_visitor_receives(assigned):
    chat, agent = assigned
    reply = message_post(chat_id=chat.pk, sender="agent", author_id=agent.pk, body="Hello!")
    note = message_post(chat_id=chat.pk, sender="note", author_id=agent.pk, body="VIP, be nice")

    assert Message.objects.get(pk=note.pk).sender == "note"
    assert list(Message.objects.filter(chat=chat).for_visitor()) == [reply]


def test_a_private_note_is_no_reply_and_leaves_the_chats_clocks_alone(assigned, time_machine):
    chat, agent = assigned
    time_machine.move_to(timezone.now())
    message_post(chat_id=chat.pk, sender="client", body="Hello?")
    before = Chat.objects.get(pk=chat.pk)
    time_machine.shift(timedelta(seconds=30))

    message_post(chat_id=chat.pk, sender="note", author_id=agent.pk, body="checking the order first")

    after = Chat.objects.get(pk=chat.pk)
    # Still waiting for the agent's answer (the no-reply rule), and no activity for the inactivity rules.
    assert after.awaiting_reply_since == before.awaiting_reply_since is not None
    assert after.agent_replied_at is None
    assert after.last_message_at == before.last_message_at


def test_a_private_note_needs_its_author_and_is_refused_on_an_internal_chat(agent_factory):
    anna, bartek = agent_factory(), agent_factory()
    internal = factories.ChatFactory(channel="internal", status="assigned", agent=bartek, initiator=anna, queue=None)

    with pytest.raises(ChatError) as no_author:
        message_post(chat_id=internal.pk, sender="note", body="x")
    with pytest.raises(ChatError) as internal_note:
        message_post(chat_id=internal.pk, sender="note", author_id=anna.pk, body="x")

    assert no_author.value.code == "required"
    assert internal_note.value.code == "invalid_sender"
    assert not Message.objects.filter(chat=internal).exists()


def test_a_private_note_on_a_messenger_chat_never_enters_the_outbox(agent_factory, queue):
    agent = agent_factory()
    chat = waiting_chat(queue, channel="messenger", visitor_messenger_id="PSID1")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)

    note = message_post(chat_id=chat.pk, sender="note", author_id=agent.pk, body="do not send")

    assert Message.objects.get(pk=note.pk).delivery_status == ""
    # Even a note whose delivery fields were set behind the services' back is never claimed for the Send API.
    Message.objects.filter(pk=note.pk).update(delivery_status="pending", delivery_next_attempt_at=timezone.now())
    assert messenger_message_deliver(message_id=note.pk) == "pending"
    assert Message.objects.get(pk=note.pk).delivery_attempts == 0


# --- transfers -------------------------------------------------------------------------------------------------


def test_a_transfer_note_is_shown_to_the_new_agent_and_a_system_line_names_him(assigned, agent_factory):
    chat, anna = assigned
    bartek = agent_factory(first_name="Bartek", last_name="Nowak")

    chat = chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk, actor=anna, note="Wants a refund for order 1234")

    shown = chat_transfer_note(chat=chat)
    assert (shown["note"], shown["from_agent"]) == ("Wants a refund for order 1234", anna.pk)
    event = ChatEvent.objects.get(chat=chat, kind="transferred")
    assert event.data == {"note": "Wants a refund for order 1234"}
    line = Message.objects.filter(chat=chat, sender="system").get()
    # The visitor knows the agent by his first name only (as the widget shows him).
    assert line.body == now_talking_with("Bartek")
    assert list(Message.objects.filter(chat=chat).for_visitor()) == [line]


def test_a_later_transfer_without_a_note_replaces_the_earlier_note(assigned, agent_factory):
    chat, anna = assigned
    bartek, celina = agent_factory(), agent_factory()
    chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk, note="first")

    chat = chat_transfer(chat_id=chat.pk, to_agent_id=celina.pk)

    assert chat_transfer_note(chat=chat) is None


def test_a_note_on_a_transfer_back_to_a_queue_waits_for_the_next_agent(assigned):
    chat, _anna = assigned
    other = factories.QueueFactory(name="Billing")

    chat = chat_transfer(chat_id=chat.pk, to_queue_id=other.pk, note="Call back after 5 pm")

    assert chat.status == "waiting"
    assert chat_transfer_note(chat=chat)["note"] == "Call back after 5 pm"
    assert not Message.objects.filter(chat=chat, sender="system").exists()  # nobody to name yet


def test_a_too_long_transfer_note_is_refused_and_changes_nothing(assigned, agent_factory):
    chat, anna = assigned
    bartek = agent_factory()

    with pytest.raises(ChatError) as error:
        chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk, note="x" * 1001)

    assert (error.value.field, error.value.code) == ("note", "too_long")
    assert Chat.objects.get(pk=chat.pk).agent == anna
    assert not ChatEvent.objects.filter(chat=chat, kind="transferred").exists()
    assert not Message.objects.filter(chat=chat).exists()


# --- dispositions ----------------------------------------------------------------------------------------------


def require_disposition(on: bool = True) -> None:
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(disposition_required=on)


def test_closing_stores_the_chosen_disposition(assigned):
    chat, agent = assigned
    complaint = Disposition.objects.create(name="Complaint")

    chat = chat_close(chat_id=chat.pk, reason="agent", actor=agent, disposition_id=complaint.pk)

    assert (chat.status, chat.disposition) == ("closed", complaint)
    assert ChatEvent.objects.get(chat=chat, kind="closed").data == {"disposition": complaint.pk}


def test_a_required_disposition_left_out_is_a_clear_error_and_nothing_is_written(assigned):
    chat, agent = assigned
    Disposition.objects.create(name="Complaint")
    require_disposition()

    with pytest.raises(ChatError) as error:
        chat_close(chat_id=chat.pk, reason="agent", actor=agent)

    assert (error.value.field, error.value.code) == ("disposition", "required")
    assert Chat.objects.get(pk=chat.pk).status == "assigned"
    assert open_chats(agent) == 1
    assert not Message.objects.filter(chat=chat).exists()
    assert not ChatEvent.objects.filter(chat=chat, kind="closed").exists()


def test_without_the_card_setting_a_disposition_is_optional(assigned):
    chat, agent = assigned

    chat = chat_close(chat_id=chat.pk, reason="agent", actor=agent)

    assert (chat.status, chat.disposition) == ("closed", None)


def test_the_visitor_and_the_timed_rules_close_without_a_disposition_even_when_required(assigned):
    chat, _agent = assigned
    require_disposition()

    chat = chat_close(chat_id=chat.pk, reason="client")

    assert (chat.status, chat.disposition) == ("closed", None)


def test_an_inactive_or_unknown_disposition_is_refused(assigned):
    chat, agent = assigned
    old = Disposition.objects.create(name="Old topic", active=False)

    for wrong in (old.pk, 999999, "abc"):
        with pytest.raises(ChatError) as error:
            chat_close(chat_id=chat.pk, reason="agent", actor=agent, disposition_id=wrong)
        assert (error.value.field, error.value.code) == ("disposition", "invalid")
    assert Chat.objects.get(pk=chat.pk).status == "assigned"


def test_a_used_disposition_cannot_be_deleted(assigned):
    from django.db.models import ProtectedError

    chat, agent = assigned
    complaint = Disposition.objects.create(name="Complaint")
    chat_close(chat_id=chat.pk, reason="agent", actor=agent, disposition_id=complaint.pk)

    with pytest.raises(ProtectedError):
        complaint.delete()

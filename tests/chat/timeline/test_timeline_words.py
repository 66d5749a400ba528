"""``chat_timeline``: every event of a chat in plain words — above all why dispatch chose its agent (the deciding
strategy and the runner-up), why a chat moved and why it closed — made by the real services."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone, translation

from agents.models import PauseType, Presence
from agents.services import presence_logout
from chat.models import Chat, ChatEvent, Disposition
from chat.selectors import chat_timeline
from chat.services.chats import chat_assign, chat_close, chat_start, chat_transfer
from chat.services.dispatch import dispatch
from chat.services.messages import message_post
from chat.services.rules import chats_close_inactive, chats_stop_auto_assign, chats_transfer_unanswered
from tests import factories
from tests.chat.routing.helpers import set_agent_order, set_card, waiting_chat

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def texts(chat) -> list[str]:
    return [entry.text for entry in chat_timeline(chat=chat)]


def assigned(chat):
    return next(entry for entry in chat_timeline(chat=chat) if entry.kind == "assigned")


# --- why this agent: one test per deciding strategy, with a real dispatch ------------------------------------


def test_queue_priority_names_the_queue_and_the_runner_up(named_agent, queue):
    jan = named_agent("Jan Kowalski", queue=queue, priority=1)
    anna = named_agent("Anna Nowak", queue=queue, priority=5)
    chat = waiting_chat(queue)

    dispatch()

    entry = assigned(chat)
    assert entry.text == "Assigned to Anna Nowak: a higher priority in Sales than Jan Kowalski."
    assert (entry.agent, entry.agent_name, entry.strategy, entry.runner_up, entry.runner_up_name) == (
        anna.pk, "Anna Nowak", "queue_priority", jan.pk, "Jan Kowalski"
    )
    assert entry.strategy_label == "Agent priority in queue"
    assert entry.actor is None  # the system decided


def test_the_owner_is_named_as_the_customers_owner(named_agent, queue):
    named_agent("Jan Kowalski", queue=queue, priority=9)
    anna = named_agent("Anna Nowak", queue=queue, priority=1)
    customer = factories.CustomerFactory(owner=anna)
    chat = waiting_chat(queue, customer=customer, customer_verified=True)

    dispatch()

    assert assigned(chat).text == "Assigned to Anna Nowak: the customer's owner in the CRM. Next in line: Jan Kowalski."


def test_the_last_agent_is_the_one_the_customer_talked_with(named_agent, queue):
    set_agent_order("last_agent")
    named_agent("Jan Kowalski", queue=queue)
    anna = named_agent("Anna Nowak", queue=queue)
    customer = factories.CustomerFactory()
    earlier = timezone.now() - timedelta(days=3)
    factories.ChatFactory(queue=queue, customer=customer, agent=anna, status=Chat.Status.CLOSED, created_at=earlier,
                          closed_at=earlier)
    chat = waiting_chat(queue, customer=customer, customer_verified=True)

    dispatch()

    entry = assigned(chat)
    assert (entry.agent, entry.strategy) == (anna.pk, "last_agent")
    assert entry.text == (
        "Assigned to Anna Nowak: the customer talked with this agent last time. Next in line: Jan Kowalski."
    )


def test_fewest_open_chats_compares_with_the_runner_up(named_agent, queue):
    set_agent_order("fewest_open_chats")
    set_card(max_concurrent_chats=3)
    jan = named_agent("Jan Kowalski", queue=queue)
    named_agent("Anna Nowak", queue=queue)
    busy = waiting_chat(queue)
    chat_assign(chat_id=busy.pk, agent_id=jan.pk)
    chat = waiting_chat(queue)

    dispatch()

    assert assigned(chat).text == "Assigned to Anna Nowak: fewer open chats than Jan Kowalski."


def test_longest_unassigned_says_who_waited_longer(named_agent, queue):
    set_agent_order("longest_unassigned")
    jan = named_agent("Jan Kowalski", queue=queue)
    anna = named_agent("Anna Nowak", queue=queue)
    Presence.objects.filter(agent=jan).update(last_assigned_at=timezone.now() - timedelta(minutes=5))
    Presence.objects.filter(agent=anna).update(last_assigned_at=timezone.now() - timedelta(minutes=50))
    chat = waiting_chat(queue)

    dispatch()

    assert assigned(chat).text == (
        "Assigned to Anna Nowak: waited longer since the last assigned chat than Jan Kowalski."
    )


def test_a_tie_on_every_rule_is_broken_by_account_order(named_agent, queue):
    anna = named_agent("Anna Nowak", queue=queue)
    named_agent("Jan Kowalski", queue=queue)
    chat = waiting_chat(queue)

    dispatch()

    entry = assigned(chat)
    assert (entry.agent, entry.strategy) == (anna.pk, "lowest_id")
    assert entry.text == "Assigned to Anna Nowak: a tie with Jan Kowalski on every rule, broken by account order."


def test_the_only_available_agent_has_no_runner_up(named_agent, queue):
    named_agent("Anna Nowak", queue=queue)
    named_agent("Jan Kowalski", queue=queue, logged_in=False)
    chat = waiting_chat(queue)

    dispatch()

    entry = assigned(chat)
    assert (entry.strategy, entry.runner_up, entry.runner_up_name) == ("only_eligible", None, "")
    assert entry.text == "Assigned to Anna Nowak: the only available agent of the queue."


def test_a_person_assigning_is_named(named_agent, queue, admin_user):
    anna = named_agent("Anna Nowak", queue=queue)
    by_staff, by_herself = waiting_chat(queue, auto_assign_stopped_at=timezone.now()), waiting_chat(queue)
    chat_assign(chat_id=by_staff.pk, agent_id=anna.pk, actor=admin_user)
    chat_assign(chat_id=by_herself.pk, agent_id=anna.pk, actor=anna)

    staff_entry = assigned(by_staff)
    assert staff_entry.text == f"Assigned to Anna Nowak by {admin_user.display_name}."
    assert (staff_entry.strategy, staff_entry.actor, staff_entry.actor_name) == (
        "manual", admin_user.pk, admin_user.display_name
    )
    assert assigned(by_herself).text == "Anna Nowak took the chat."


# --- the chat's way: started, queued, transferred (why, the note), paused, stopped, closed (why) ---------------


def test_a_chat_from_start_to_a_transfer_with_a_note_and_the_close(named_agent, queue):
    anna = named_agent("Anna Nowak", queue=queue, priority=5)
    jan = named_agent("Jan Kowalski", priority=1)
    complaint = Disposition.objects.create(name="Complaint")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa")
        dispatch()
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        chat_transfer(chat_id=chat.pk, to_agent_id=jan.pk, actor=anna, note="Wants a refund, order 1234.")
    with time_machine.travel(start + timedelta(minutes=9), tick=False):
        chat_close(chat_id=chat.pk, reason=Chat.CloseReason.AGENT, actor=jan, disposition_id=complaint.pk)

    timeline = chat_timeline(chat=chat)

    assert [e.text for e in timeline] == [
        "The visitor started the chat (Website).",
        "Queued in Sales.",
        "Assigned to Anna Nowak: the only available agent of the queue.",
        "Transferred from Anna Nowak to Jan Kowalski. Note: Wants a refund, order 1234.",
        "Closed by Jan Kowalski. Disposition: Complaint.",
    ]  # the transfer's own "assigned" event says nothing more and is left out
    transfer = timeline[3]
    assert (transfer.kind, transfer.from_agent, transfer.agent, transfer.reason, transfer.note) == (
        "transferred", anna.pk, jan.pk, "manual", "Wants a refund, order 1234."
    )
    assert [e.at - start for e in timeline] == [timedelta(0)] * 3 + [timedelta(minutes=2), timedelta(minutes=9)]


def test_a_transfer_by_staff_and_back_to_the_queue(named_agent, queue, admin_user):
    anna = named_agent("Anna Nowak", queue=queue)
    jan = named_agent("Jan Kowalski")
    support = factories.QueueFactory(name="Support")
    chat = waiting_chat(queue)
    dispatch()
    Presence.objects.filter(agent=anna).update(logged_in=False)  # nobody takes it back at once

    chat_transfer(chat_id=chat.pk, to_agent_id=jan.pk, actor=admin_user)
    chat_transfer(chat_id=chat.pk, to_queue_id=support.pk, actor=jan)
    chat_transfer(chat_id=chat.pk, to_queue_id=queue.pk, actor=admin_user)

    assert texts(chat)[-3:] == [
        f"Transferred from Anna Nowak to Jan Kowalski by {admin_user.display_name}.",
        "Transferred from Jan Kowalski to the queue Support.",
        f"Moved to the queue Sales by {admin_user.display_name}.",
    ]


@pytest.fixture
def clock(time_machine):
    start = timezone.now().replace(microsecond=0)
    time_machine.move_to(start, tick=False)

    def at(**delta):
        time_machine.move_to(start + timedelta(**delta), tick=False)

    return at


def test_no_reply_moves_the_chat_back_and_pauses_the_silent_agent(named_agent, queue, clock):
    set_card(no_reply_transfer_after=120, no_reply_pause_type=PauseType.objects.get(code="break"))
    named_agent("Anna Nowak", queue=queue)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa")
    dispatch()
    message_post(chat_id=chat.pk, sender="client", body="Hello?")
    clock(seconds=120)

    assert chats_transfer_unanswered() == 1

    timeline = chat_timeline(chat=chat)
    assert [e.text for e in timeline[-2:]] == [
        "Moved back to the queue Sales: Anna Nowak did not reply within 2 minutes.",
        "Anna Nowak was put on the pause “Break” for not replying in this chat.",
    ]
    assert (timeline[-2].reason, timeline[-1].kind) == ("no_reply", "agent_paused")


def test_the_agent_who_did_not_reply_ranks_last_and_is_named(named_agent, queue, clock):
    """After the no-reply rule the chat goes to another agent even of a lower priority: the timeline says that
    he was the only one who had not left it unanswered, and names the one who had."""
    set_card(no_reply_transfer_after=60, no_reply_pause_type=None)
    named_agent("Anna Nowak", queue=queue, priority=5)
    jan = named_agent("Jan Kowalski", queue=queue, priority=1)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa")
    dispatch()
    message_post(chat_id=chat.pk, sender="client", body="Hello?")
    clock(seconds=60)
    chats_transfer_unanswered()
    dispatch()

    last = chat_timeline(chat=chat)[-1]
    assert (last.kind, last.agent, last.strategy, last.runner_up_name) == (
        "assigned", jan.pk, "only_eligible", "Anna Nowak"
    )
    assert last.text == (
        "Assigned to Jan Kowalski: the only available agent who had not already left this chat unanswered "
        "(Anna Nowak had)."
    )


def test_automatic_assignment_stopped_after_hours_of_waiting(queue, clock):
    set_card(stop_auto_assign_after_hours=2)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa")
    clock(hours=2)

    assert chats_stop_auto_assign() == 1

    assert texts(chat)[-1] == (
        "Automatic assignment stopped after 2 hours of waiting: the chat waits for someone to press Assign."
    )


def test_closed_for_inactivity_says_how_long(named_agent, queue, clock):
    set_card(inactivity_timeout_website=600, inactivity_counted_from="last_client_message")
    named_agent("Anna Nowak", queue=queue)
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Ewa")
    dispatch()
    clock(seconds=600)

    assert chats_close_inactive() == 1

    last = chat_timeline(chat=chat)[-1]
    assert (last.kind, last.reason, last.text) == ("closed", "inactivity", "Closed: inactive for 10 minutes.")


def test_the_visitor_leaving_and_an_administrator_closing(queue, admin_user):
    left, closed_by_admin = waiting_chat(queue), waiting_chat(queue)

    chat_close(chat_id=left.pk, reason=Chat.CloseReason.CLIENT)
    chat_close(chat_id=closed_by_admin.pk, reason=Chat.CloseReason.ADMIN, actor=admin_user)

    assert texts(left)[-1] == "Closed: the visitor left."
    assert texts(closed_by_admin)[-1] == f"Closed by {admin_user.display_name}, an administrator."


def test_a_log_out_moves_the_chats_back(named_agent, queue, admin_user):
    named_agent("Anna Nowak", queue=queue)
    chat = waiting_chat(queue)
    dispatch()
    anna = Chat.objects.get(pk=chat.pk).agent

    presence_logout(agent_id=anna.pk, actor=admin_user)

    assert f"Moved back to the queue Sales: {admin_user.display_name} logged Anna Nowak out." in texts(chat)


def test_the_supervisors_events_and_the_place_in_the_queue(named_agent, queue, admin_user):
    anna = named_agent("Anna Nowak", queue=queue)
    chat = waiting_chat(queue)
    dispatch()
    for kind, extra in [
        (ChatEvent.Kind.SUPERVISOR_JOINED, {}),
        (ChatEvent.Kind.WHISPERED, {"agent": anna}),
        (ChatEvent.Kind.TAKEN_OVER, {"from_agent": anna, "agent": admin_user}),
        (ChatEvent.Kind.QUEUE_POSITION_SENT, {"data": {"position": 3}}),
    ]:
        ChatEvent.objects.create(chat=chat, kind=kind, actor=None if "data" in extra else admin_user, **extra)

    boss = admin_user.display_name
    assert texts(chat)[-4:] == [
        f"{boss} joined the chat silently to watch it.",
        f"{boss} whispered to Anna Nowak (a private note).",
        f"{boss} took the chat over from Anna Nowak.",
        "The customer was told his place in the queue: 3.",
    ]


# --- the language, and the cost ------------------------------------------------------------------------------


def test_the_text_follows_the_current_language(named_agent, queue):
    named_agent("Jan Kowalski", queue=queue, priority=1)
    named_agent("Anna Nowak", queue=queue, priority=5)
    chat = waiting_chat(queue)
    dispatch()

    with translation.override("pl"):
        entry = assigned(chat)
        expected = translation.gettext("Assigned to %(agent)s: a higher priority in %(queue)s than %(runner_up)s.") % {
            "agent": "Anna Nowak", "queue": "Sales", "runner_up": "Jan Kowalski"
        }
        label = str(ChatEvent.Kind.ASSIGNED.label)

    assert (entry.text, entry.kind_label) == (expected, label)


def test_the_timeline_takes_a_fixed_number_of_queries(named_agent, queue, django_assert_max_num_queries):
    """Events with their people and queues in one query; the runner-ups, pause types and dispositions in one
    query each, however many events name them."""
    for n in range(4):
        named_agent(f"Agent{n} Smith", queue=queue, priority=n)
    complaint = Disposition.objects.create(name="Complaint")
    chat = waiting_chat(queue)
    dispatch()
    for _ in range(3):  # the agent logs out and the chat goes to the next one
        Presence.objects.filter(agent_id=Chat.objects.get(pk=chat.pk).agent_id).update(logged_in=False)
        chat_transfer(chat_id=chat.pk, to_queue_id=queue.pk, note="Try the next one")
        dispatch()
    chat_close(chat_id=chat.pk, reason=Chat.CloseReason.SYSTEM, disposition_id=complaint.pk)
    assert ChatEvent.objects.filter(chat=chat, kind="assigned").count() == 4

    with django_assert_max_num_queries(4):
        timeline = chat_timeline(chat=chat)

    assert [e.runner_up_name for e in timeline if e.kind == "assigned"] == [
        "Agent2 Smith", "Agent1 Smith", "Agent0 Smith", ""
    ]
    assert timeline[-1].text == "Closed by the system. Disposition: Complaint."

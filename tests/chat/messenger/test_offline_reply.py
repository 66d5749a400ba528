"""A Messenger customer who writes while his queue is closed (or nobody of it is logged in) gets one automatic reply
per offline period, and his chat waits (issue 17, point 2; chat/messenger/offline.py): through the webhook and the
outbox to a real HTTP stand-in for the Send API, with a frozen clock."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone, translation

from agents.services import presence_login, presence_logout
from chat.messenger.offline import messenger_offline_reply_send, offline_reply_text
from chat.messenger.outbox import messenger_outbox_sweep
from chat.models import Chat, ChatEvent, HoursException, Message
from chat.selectors.timeline import chat_timeline
from chat.services.chats import chat_close
from chat.services.hours import CLOSED, NO_AGENTS, Schedule
from chat.services.rules import chats_release_held
from tests import factories
from tests.chat.messenger.conftest import event
from tests.chat.messenger.offline_fixtures import (
    FRIDAY_NIGHT,
    MONDAY_EARLY,
    MONDAY_MORNING,
    MONDAY_OPENING,
    NEXT_FRIDAY_NIGHT,
    SATURDAY,
    THURSDAY_EVENING,
    at,
    office_hours,
    replies,
    texts,
)
from tests.chat.messenger.processes import broker, closed_port

CLOSED_PL = "Teraz jesteśmy nieczynni; odpowiemy w poniedziałek od 08:00."
pytestmark = pytest.mark.django_db

NOBODY_PL = "W tej chwili nikt nie może odpowiedzieć; odpowiemy, gdy tylko konsultant będzie dostępny."


@pytest.fixture
def office(queue):
    return office_hours(queue)


@pytest.fixture
def live(settings, eager_celery, graph, django_capture_on_commit_callbacks):
    """Deliver a webhook payload and run what its commit starts, as a worker would."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def run(deliver, payload):
        with django_capture_on_commit_callbacks(execute=True):
            response = deliver(payload)
        assert response.status_code == 200
        return response.json()

    return run


@pytest.fixture
def clock(time_machine):
    def move(moment):
        time_machine.move_to(moment, tick=False)

    return move


# --- outside business hours -------------------------------------------------------------------------------------


def test_a_customer_writing_while_closed_gets_the_reply_and_his_chat_waits_held(deliver, office, agent, live, graph,
                                                                               clock):
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-1", mid="m_1", text="Hello?"))

    chat = Chat.objects.get()
    # An agent of the queue is available, and still nobody gets the chat: it waits for Monday.
    assert (chat.status, chat.agent_id, chat.hours_held_at) == ("waiting", None, FRIDAY_NIGHT)
    assert texts(graph) == [CLOSED_PL]  # the site's language, the next opening in the queue's time zone
    assert graph.requests[0]["json"]["recipient"] == {"id": "PSID-1"}
    # The agent sees what the customer was told: a system message after his, delivered by the outbox.
    assert list(chat.messages.values_list("sender", "body")) == [("client", "Hello?"), ("system", CLOSED_PL)]
    line = Message.objects.get(chat=chat, sender="system")
    assert line.delivery_status == "sent"
    [sent] = replies(chat)
    assert sent.data == {"message": line.pk, "reason": "closed", "opens": sent.data["opens"]}
    assert dt.datetime.fromisoformat(sent.data["opens"]) == MONDAY_OPENING  # the moment (written in UTC)
    assert chat.offline_reply_sent_at == FRIDAY_NIGHT
    # No "you are next in line" besides (the place is for chats dispatch would serve).
    assert not ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.QUEUE_POSITION_SENT).exists()


def test_one_reply_per_closed_period(deliver, office, live, graph, clock):
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-2", mid="m_1"))
    clock(SATURDAY)
    live(deliver, event(sender="PSID-2", mid="m_2", text="Anyone?"))  # the same closed period: no second reply
    assert len(graph.requests) == 1

    clock(MONDAY_OPENING)
    assert chats_release_held() == 1  # nobody is logged in: the chat waits in the queue
    clock(MONDAY_MORNING)
    live(deliver, event(sender="PSID-2", mid="m_3", text="Good morning?"))  # open: no automatic reply
    assert len(graph.requests) == 1

    clock(NEXT_FRIDAY_NIGHT)  # closed again since Monday's opening: another period
    live(deliver, event(sender="PSID-2", mid="m_4", text="Still nothing?"))

    chat = Chat.objects.get()
    assert texts(graph) == [CLOSED_PL, CLOSED_PL]
    assert [event.created_at for event in replies(chat)] == [FRIDAY_NIGHT, NEXT_FRIDAY_NIGHT]
    assert Message.objects.filter(chat=chat, sender="client").count() == 4


def test_a_new_chat_in_the_same_closed_period_is_not_told_again(deliver, office, live, graph, clock, staff):
    """Once per period per customer, not per chat: his first chat was closed Friday night, he writes again Saturday."""
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-3", mid="m_1"))
    first = Chat.objects.get()
    chat_close(chat_id=first.pk, reason="admin", actor=staff)

    clock(SATURDAY)
    live(deliver, event(sender="PSID-3", mid="m_2"))

    second = Chat.objects.exclude(pk=first.pk).get()
    assert second.hours_held_at == SATURDAY
    assert len(graph.requests) == 1
    assert replies(second) == []


def test_the_same_event_delivered_again_stores_one_message_and_one_reply(deliver, office, live, graph, clock):
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-4", mid="m_1"))
    clock(FRIDAY_NIGHT + dt.timedelta(minutes=1))  # Meta's retry
    live(deliver, event(sender="PSID-4", mid="m_1"))

    assert Message.objects.filter(external_id="m_1").count() == 1
    assert Message.objects.filter(sender="system").count() == 1
    assert len(graph.requests) == 1


def test_the_queue_s_own_text_is_sent_as_it_is(deliver, office, live, graph, clock):
    office.offline_reply = "Dziękujemy! Pracujemy pn–pt 8–16, odezwiemy się."
    office.save()
    clock(SATURDAY)
    live(deliver, event(sender="PSID-5", mid="m_1"))

    assert texts(graph) == ["Dziękujemy! Pracujemy pn–pt 8–16, odezwiemy się."]


def test_a_chat_an_agent_holds_gets_no_automatic_reply(deliver, office, agent, live, graph, clock):
    """An assigned chat's agent is logged in (a log-out requeues his chats): he answers, not the automaton."""
    chat = factories.ChatFactory(queue=office, channel="messenger", visitor_messenger_id="PSID-6",
                                 status=Chat.Status.ASSIGNED, agent=agent)
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-6", mid="m_1"))

    assert Message.objects.filter(chat=chat, sender="client").count() == 1
    assert graph.requests == []
    assert replies(chat) == []


def test_while_open_nothing_is_sent_and_the_chat_is_routed(deliver, office, agent, live, graph, clock):
    clock(MONDAY_MORNING)
    live(deliver, event(sender="PSID-7", mid="m_1"))

    chat = Chat.objects.get()
    assert (chat.status, chat.agent_id, chat.offline_reply_sent_at) == ("assigned", agent.pk, None)
    assert graph.requests == []


def test_a_broker_that_is_down_loses_no_reply(deliver, office, graph, clock, settings, eager_celery,
                                             django_capture_on_commit_callbacks):
    """The reply is in the outbox with the customer's message, in one transaction; the sweep sends it later."""
    eager_celery.conf.task_always_eager = False
    clock(FRIDAY_NIGHT)
    with broker(f"redis://127.0.0.1:{closed_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        assert deliver(event(sender="PSID-8", mid="m_1")).status_code == 200
    line = Message.objects.get(sender="system")
    assert (line.delivery_status, line.delivery_queued_at) == ("pending", None)
    assert graph.requests == []

    eager_celery.conf.task_always_eager = True  # the broker is back (the eager call stands for the worker)
    with django_capture_on_commit_callbacks(execute=True):
        assert messenger_outbox_sweep() == 1
    line.refresh_from_db()
    assert line.delivery_status == "sent"
    assert texts(graph) == [CLOSED_PL]


# --- nobody of the queue logged in ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the commit hooks run as in production: dispatch at her log-in
def test_nobody_logged_in_gets_its_own_words_once_until_someone_was_back(
    deliver, queue, agent_factory, live, graph, clock, django_capture_on_commit_callbacks
):
    queue.offline_without_agents = True
    queue.save()
    anna = agent_factory(queue=queue, logged_in=False)
    start = MONDAY_MORNING
    clock(start)
    live(deliver, event(sender="PSID-9", mid="m_1"))

    chat = Chat.objects.get()
    assert (chat.status, chat.hours_held_at) == ("waiting", None)  # open hours: queued, not held
    assert texts(graph) == [NOBODY_PL]  # and no place in the queue besides
    assert replies(chat)[0].data["reason"] == "no_agents"
    clock(start + dt.timedelta(minutes=5))
    live(deliver, event(sender="PSID-9", mid="m_2"))
    assert len(graph.requests) == 1

    clock(start + dt.timedelta(minutes=10))
    with django_capture_on_commit_callbacks(execute=True):
        presence_login(agent_id=anna.pk)  # dispatch gives her the chat ...
    assert Chat.objects.get().agent_id == anna.pk
    clock(start + dt.timedelta(minutes=20))
    with django_capture_on_commit_callbacks(execute=True):
        presence_logout(agent_id=anna.pk)  # ... and her log-out puts it back in the queue
    assert Chat.objects.get().status == "waiting"

    clock(start + dt.timedelta(minutes=30))
    live(deliver, event(sender="PSID-9", mid="m_3"))
    assert texts(graph) == [NOBODY_PL, NOBODY_PL]


def test_an_agent_logged_in_means_no_reply(deliver, queue, agent, live, graph, clock):
    queue.offline_without_agents = True
    queue.save()
    clock(MONDAY_MORNING)
    live(deliver, event(sender="PSID-10", mid="m_1"))

    assert Chat.objects.get().agent_id == agent.pk
    assert graph.requests == []


# --- two at once --------------------------------------------------------------------------------------------------


def run_at_once(count, fn):
    barrier, results = threading.Barrier(count), []

    def worker(n):
        try:
            barrier.wait(timeout=10)
            results.append(fn(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_messages_delivered_at_once_while_closed_get_one_reply(deliver, office, clock):
    clock(FRIDAY_NIGHT)
    statuses = run_at_once(2, lambda n: deliver(event(sender="PSID-11", mid=f"m_{n}")).status_code)

    assert statuses == [200, 200]
    chat = Chat.objects.get()
    assert Message.objects.filter(chat=chat, sender="client").count() == 2
    assert Message.objects.filter(chat=chat, sender="system").count() == 1
    assert len(replies(chat)) == 1


@pytest.mark.django_db(transaction=True)
def test_the_claim_is_the_guard_two_callers_at_once_write_one_reply(office, clock):
    """Without the customer's message holding the chat row: the conditional UPDATE alone lets one of them write."""
    clock(FRIDAY_NIGHT)
    chat = factories.ChatFactory(queue=office, channel="messenger", visitor_messenger_id="PSID-12")

    results = run_at_once(2, lambda n: messenger_offline_reply_send(chat_id=chat.pk))

    assert sorted(result is None for result in results) == [False, True]
    assert Message.objects.filter(chat=chat, sender="system").count() == 1
    assert len(replies(chat)) == 1


# --- the words ----------------------------------------------------------------------------------------------------


def closed_for(queue, first: dt.date, last: dt.date) -> None:
    day = first
    while day <= last:
        HoursException.objects.create(queue=queue, date=day, closed=True)
        day += dt.timedelta(days=1)


ENGLISH = {
    "monday_early": "We are closed now; we will answer from 08:00 today.",
    "thursday_evening": "We are closed now; we will answer from 08:00 tomorrow.",
    "friday_night": "We are closed now; we will answer from Monday, 08:00.",
    "two_weeks_off": "We are closed now; we will answer from 25 January, 08:00.",
    "over_new_year": "We are closed now; we will answer from 5 January 2028, 08:00.",
    "never_open": "We are closed now; we will answer as soon as we open.",
}
POLISH = {
    "monday_early": "Teraz jesteśmy nieczynni; odpowiemy dziś od 08:00.",
    "thursday_evening": "Teraz jesteśmy nieczynni; odpowiemy jutro od 08:00.",
    "friday_night": CLOSED_PL,
    "two_weeks_off": "Teraz jesteśmy nieczynni; odpowiemy 25 stycznia od 08:00.",
    "over_new_year": "Teraz jesteśmy nieczynni; odpowiemy 5 stycznia 2028 od 08:00.",
    "never_open": "Teraz jesteśmy nieczynni; odpowiemy, gdy tylko wznowimy pracę.",
}


def closed_case(name, queue):
    if name == "never_open":
        queue.business_hours = True
        queue.save()
        return FRIDAY_NIGHT
    office_hours(queue)
    if name == "two_weeks_off":
        closed_for(queue, dt.date(2027, 1, 11), dt.date(2027, 1, 22))
        return FRIDAY_NIGHT
    if name == "over_new_year":
        closed_for(queue, dt.date(2027, 12, 24), dt.date(2028, 1, 4))
        return at(23, 20, month=12)
    return {"monday_early": MONDAY_EARLY, "thursday_evening": THURSDAY_EVENING, "friday_night": FRIDAY_NIGHT}[name]


@pytest.mark.parametrize("language, expected", [("en", ENGLISH), ("pl", POLISH)])
@pytest.mark.parametrize("name", list(ENGLISH))
def test_the_default_text_names_the_next_opening(queue, name, language, expected):
    now = closed_case(name, queue)
    with translation.override(language):
        assert offline_reply_text(queue=queue, reason=CLOSED, now=now) == expected[name]


def test_the_next_opening_is_told_in_the_queue_s_time_zone(queue):
    office_hours(queue, time_zone="America/New_York")
    now = dt.datetime(2027, 1, 11, 12, 0, tzinfo=dt.UTC)  # 13:00 in Warsaw, 07:00 in New York
    assert not Schedule.of(queue).is_open(now)
    with translation.override("en"):
        assert offline_reply_text(queue=queue, reason=CLOSED, now=now) == (
            "We are closed now; we will answer from 08:00 today."
        )


def test_nobody_logged_in_has_its_own_words_whatever_the_queue_s_text(queue):
    queue.offline_reply = "We are open 8-16."
    with translation.override("en"):
        assert offline_reply_text(queue=queue, reason=NO_AGENTS, now=timezone.now()) == (
            "Nobody can answer right now; we will reply as soon as an agent is available."
        )


def test_the_timeline_says_what_the_customer_was_told(deliver, office, live, clock):
    clock(FRIDAY_NIGHT)
    live(deliver, event(sender="PSID-13", mid="m_1"))
    chat = Chat.objects.get()

    with translation.override("en"):
        words = [entry.text for entry in chat_timeline(chat=chat)]
    assert "The queue was closed until Jan. 11, 2027, 8 a.m.: the customer got the automatic reply." in words
    polish = [entry.text for entry in chat_timeline(chat=chat)]
    assert "Kolejka była nieczynna do 11 stycznia 2027 08:00: klient dostał automatyczną odpowiedź." in polish


def test_the_timeline_words_of_nobody_logged_in():
    chat = factories.ChatFactory(channel="messenger")
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.OFFLINE_REPLY_SENT, data={"reason": "no_agents"})
    with translation.override("en"):
        words = [entry.text for entry in chat_timeline(chat=chat)]
    assert words[-1] == "The customer got the automatic reply: no agent of the queue was logged in."

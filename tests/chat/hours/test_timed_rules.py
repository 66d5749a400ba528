"""The timed rules and business hours (issue 17, docs/timed-rules.md "Business hours"), each decision pinned with a
frozen clock:

* stop automatic assignment (13) counts the wait within the queue's business hours only;
* close inactive never closes a chat held for business hours, gives a chat queued at the opening its whole time from
  then, and closes an offline message only the website's time after an agent's first answer;
* transfer on no reply, purge and file expiry stay on the calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest

from chat.models import Attachment, Chat, ChatEvent, ChatSettings
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.messages import message_post
from chat.services.rules import (
    attachments_expire,
    chats_close_inactive,
    chats_purge_closed,
    chats_release_held,
    chats_stop_auto_assign,
    chats_transfer_unanswered,
)
from chat.services.visitors import chat_page_closed
from tests import factories

from .conftest import FRI, MON, SAT, SUN, THU, TUE, WED, WEEK, local

pytestmark = pytest.mark.django_db

LONG_DAYS = {day: ["08:00-18:00"] for day in (MON, TUE, WED, THU, FRI)}
NEXT = {day: WEEK[day] + dt.timedelta(weeks=1) for day in WEEK}


def card(**fields) -> ChatSettings:
    ChatSettings.objects.update(**fields)
    return ChatSettings.load()


def web(queue, name="Ann", **kwargs) -> Chat:
    return chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name=name, visitor_key=name, **kwargs)


def stopped(chat: Chat) -> bool:
    return Chat.objects.get(pk=chat.pk).auto_assign_stopped_at is not None


def status(chat: Chat) -> str:
    return Chat.objects.get(pk=chat.pk).status


# --- stop automatic assignment (parameter 13): business hours only -----------------------------------------------


def test_a_chat_written_on_friday_evening_has_not_waited_24_hours_on_monday_morning(hours_queue, frozen):
    card(stop_auto_assign_after_hours=24)
    queue = hours_queue(weekly=LONG_DAYS)
    frozen(local(WEEK[FRI], "17:59"))
    chat = web(queue)  # open, nobody logged in: it waits
    frozen(local(NEXT[MON], "08:00"))  # 62 hours of wall clock, one minute of business hours
    assert chats_stop_auto_assign() == 0
    # One minute on Friday, ten hours on Monday and on Tuesday: 24 hours are reached on Wednesday at 11:59.
    frozen(local(NEXT[WED], "11:58:59"))
    assert chats_stop_auto_assign() == 0
    assert not stopped(chat)
    frozen(local(NEXT[WED], "11:59"))
    assert chats_stop_auto_assign() == 1
    assert stopped(chat)


def test_a_queue_without_business_hours_still_counts_the_wall_clock_in_the_same_run(hours_queue, frozen):
    card(stop_auto_assign_after_hours=24)
    timed = hours_queue(weekly=LONG_DAYS)
    plain = factories.QueueFactory(name="Plain")
    frozen(local(WEEK[FRI], "17:59"))
    timed_chat, plain_chat = web(timed, "T"), web(plain, "P")
    frozen(local(WEEK[SAT], "17:59"))
    assert chats_stop_auto_assign() == 1
    assert (stopped(plain_chat), stopped(timed_chat)) == (True, False)
    events = ChatEvent.objects.filter(kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED)
    assert [(e.chat_id, e.data) for e in events] == [(plain_chat.pk, {"after_hours": 24})]


def test_each_queue_with_business_hours_has_its_own_cutoff(hours_queue, frozen):
    card(stop_auto_assign_after_hours=2)
    warsaw = hours_queue(weekly=LONG_DAYS, name="Warsaw")
    new_york = hours_queue(weekly=LONG_DAYS, name="New York", zone="America/New_York")
    frozen(local(WEEK[MON], "16:00"))  # 10:00 in New York
    in_warsaw, in_new_york = web(warsaw, "W"), web(new_york, "N")
    frozen(local(WEEK[MON], "18:00"))  # Warsaw closes with two hours of business time; New York has had two too
    assert chats_stop_auto_assign() == 2
    frozen(local(WEEK[MON], "16:00"))
    later_w, later_ny = web(warsaw, "W2"), web(new_york, "N2")
    frozen(local(WEEK[MON], "19:00"))  # Warsaw: 2 h (16-18); New York (10:00-13:00 there): 3 h
    assert chats_stop_auto_assign() == 2
    assert stopped(later_w) and stopped(later_ny) and stopped(in_warsaw) and stopped(in_new_york)


def test_running_the_stop_rule_twice_stops_once(hours_queue, frozen):
    card(stop_auto_assign_after_hours=1)
    queue = hours_queue(weekly=LONG_DAYS)
    frozen(local(WEEK[MON], "09:00"))
    chat = web(queue)
    frozen(local(WEEK[MON], "10:00"))
    assert chats_stop_auto_assign() == 1
    frozen(local(WEEK[MON], "11:00"))
    assert chats_stop_auto_assign() == 0
    assert ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.AUTO_ASSIGN_STOPPED).count() == 1


def test_a_held_chat_is_never_stopped_and_counts_from_the_opening(hours_queue, frozen):
    card(stop_auto_assign_after_hours=24)
    holidays = [(WEEK[MON] + dt.timedelta(days=n), "closed") for n in range(7, 14)]  # the whole next week
    queue = hours_queue(weekly=LONG_DAYS, exceptions=holidays)
    frozen(local(WEEK[FRI], "19:00"))
    chat = web(queue)  # closed: held
    frozen(local(NEXT[SUN] + dt.timedelta(days=1), "07:59"))  # ten days later, still closed
    assert chats_stop_auto_assign() == 0
    assert not stopped(chat)
    monday = NEXT[SUN] + dt.timedelta(days=1)
    frozen(local(monday, "08:00"))
    assert chats_release_held() == 1
    assert Chat.objects.get(pk=chat.pk).queued_at == local(monday, "08:00")
    frozen(local(NEXT[SUN] + dt.timedelta(days=3), "11:59"))
    assert chats_stop_auto_assign() == 0
    frozen(local(NEXT[SUN] + dt.timedelta(days=3), "12:00"))  # Mon 10 h + Tue 10 h + Wed 4 h
    assert chats_stop_auto_assign() == 1


def test_the_idle_stop_sweep_is_one_count(hours_queue, frozen, django_assert_num_queries):
    card(stop_auto_assign_after_hours=24)
    queue = hours_queue(weekly=LONG_DAYS)
    frozen(local(WEEK[MON], "09:00"))
    web(queue)
    frozen(local(WEEK[MON], "12:00"))
    with django_assert_num_queries(2):  # the card, the COUNT of the wall-clock candidates
        assert chats_stop_auto_assign() == 0


# --- close inactive chats: held and offline chats ---------------------------------------------------------------


def test_a_held_chat_is_never_closed_for_inactivity(hours_queue, frozen):
    card(inactivity_counted_from="page_closed", inactivity_timeout_website=3600)
    queue = hours_queue()
    frozen(local(WEEK[SAT], "10:00"))
    chat = web(queue)
    chat_page_closed(chat_id=chat.pk)
    frozen(local(NEXT[MON], "07:59"))  # two days with the page closed
    assert chats_close_inactive() == 0
    assert status(chat) == Chat.Status.WAITING


def test_a_chat_queued_at_the_opening_has_its_whole_inactivity_time_from_then(hours_queue, frozen):
    card(inactivity_counted_from="page_closed", inactivity_timeout_website=3600)
    queue = hours_queue()
    frozen(local(WEEK[SAT], "10:00"))
    chat = web(queue)
    chat_page_closed(chat_id=chat.pk)
    frozen(local(NEXT[MON], "08:00"))
    assert chats_release_held() == 1
    frozen(local(NEXT[MON], "08:59:59"))
    assert chats_close_inactive() == 0
    frozen(local(NEXT[MON], "09:00"))
    assert chats_close_inactive() == 1
    assert Chat.objects.get(pk=chat.pk).close_reason == Chat.CloseReason.INACTIVITY


def test_a_held_messenger_chat_outlives_a_long_closure(hours_queue, frozen):
    card(inactivity_timeout_messenger=7 * 86400)
    closed_fortnight = [(WEEK[MON] + dt.timedelta(days=n), "closed") for n in range(7, 21)]
    queue = hours_queue(exceptions=closed_fortnight)
    frozen(local(WEEK[FRI], "20:00"))
    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue.pk, visitor_messenger_id="m-1")
    message_post(chat_id=chat.pk, sender="client", body="Hello?")
    # In UTC: seven days of calendar time from a Monday before the change to summer time (29 March) is 07:00 on
    # the local clock of the next Monday, not 08:00.
    opening = local(WEEK[MON] + dt.timedelta(days=21), "08:00").astimezone(dt.UTC)
    frozen(opening - dt.timedelta(minutes=1))  # 17 days later
    assert chats_close_inactive() == 0
    frozen(opening)
    assert chats_release_held() == 1
    frozen(opening + dt.timedelta(days=7, seconds=-1))
    assert chats_close_inactive() == 0
    frozen(opening + dt.timedelta(days=7))
    assert chats_close_inactive() == 1


@pytest.mark.parametrize("mode", ["page_closed", "last_client_message"])
def test_an_offline_message_is_not_closed_before_an_agent_answers_it(hours_queue, agent_factory, frozen, mode):
    card(inactivity_counted_from=mode, inactivity_timeout_website=3600)
    queue = hours_queue()
    agent = agent_factory(queue=queue, logged_in=True)
    frozen(local(WEEK[MON], "09:00"))
    chat = web(queue, offline=True)  # open but the visitor left a message (e.g. nobody was logged in)
    chat_page_closed(chat_id=chat.pk)
    frozen(local(WEEK[TUE], "09:00"))  # a day later, nobody answered
    assert chats_close_inactive() == 0
    if status(chat) == Chat.Status.WAITING:
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    frozen(local(WEEK[TUE], "10:00"))
    assert chats_close_inactive() == 0  # assigned, still unanswered
    message_post(chat_id=chat.pk, sender="agent", body="Here is our answer.", author=agent)
    frozen(local(WEEK[TUE], "10:59:59"))
    assert chats_close_inactive() == 0
    frozen(local(WEEK[TUE], "11:00"))  # the website's hour after the first answer
    assert chats_close_inactive() == 1


def test_a_live_website_chat_still_closes_as_before(hours_queue, frozen):
    card(inactivity_counted_from="page_closed", inactivity_timeout_website=3600)
    queue = hours_queue()
    frozen(local(WEEK[MON], "09:00"))
    chat = web(queue)
    chat_page_closed(chat_id=chat.pk)
    frozen(local(WEEK[MON], "10:00"))
    assert chats_close_inactive() == 1
    assert status(chat) == Chat.Status.CLOSED


# --- transfer on no reply, purge, file expiry: calendar time ------------------------------------------------------


def test_no_reply_transfer_counts_calendar_time_after_closing(hours_queue, agent_factory, frozen):
    card(no_reply_transfer_after=60)
    queue = hours_queue()
    first = agent_factory(queue=queue, logged_in=True, username="first")
    second = agent_factory(queue=queue, logged_in=True, username="second")
    frozen(local(WEEK[MON], "15:59"))
    chat = web(queue)
    chat_assign(chat_id=chat.pk, agent_id=first.pk)
    frozen(local(WEEK[MON], "16:30"))  # the queue has closed; the agent is still at work with his chat
    message_post(chat_id=chat.pk, sender="client", body="Still there?")
    frozen(local(WEEK[MON], "16:31"))
    assert chats_transfer_unanswered() == 1
    assert Chat.objects.get(pk=chat.pk).agent_id == second.pk


def test_purge_and_file_expiry_count_calendar_days(hours_queue, agent_factory, frozen):
    card(delete_chats_after_days=1, file_download_hours=1)
    queue = hours_queue()
    frozen(local(WEEK[FRI], "15:00"))
    chat = web(queue)
    message = message_post(chat_id=chat.pk, sender="client", body="file")
    attachment = Attachment.objects.create(message=message, token="t-1", original_name="a.txt", size=1,
                                           expires_at=local(WEEK[FRI], "16:00"))
    chat_close(chat_id=chat.pk, reason=Chat.CloseReason.SYSTEM)
    frozen(local(WEEK[FRI], "16:00"))  # the queue closed at 16:00: the download hour is over all the same
    assert attachments_expire() == 1
    assert Attachment.objects.get(pk=attachment.pk).expired_at is not None
    frozen(local(WEEK[SAT], "15:00"))  # one calendar day, no business hours in it
    assert chats_purge_closed() == 1
    assert not Chat.objects.filter(pk=chat.pk).exists()


def test_a_row_without_a_queue_time_still_closes_as_before(frozen):
    card(inactivity_counted_from="page_closed", inactivity_timeout_website=3600)
    now = frozen(local(WEEK[MON], "09:00"))
    chat = factories.ChatFactory(queued_at=None, page_closed_at=now)  # written around the services
    frozen(local(WEEK[MON], "10:00"))
    assert chats_close_inactive() == 1
    assert status(chat) == Chat.Status.CLOSED

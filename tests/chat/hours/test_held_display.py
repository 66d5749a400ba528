"""A held chat reads as waiting for opening hours, with the next opening, wherever people see it: its reason
(``chat_waiting_reason`` / ``waiting_reasons``), the inbox's chat page and waiting list, the live floor; and its
timeline says in words that it was held and queued at the opening."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from chat.models import Chat, ChatEvent
from chat.reports.floor import floor_get
from chat.selectors import WaitingReason, chat_timeline, chat_waiting_reason, held_openings, waiting_reasons
from chat.services.chats import chat_start
from chat.services.rules import chats_release_held
from tests import factories

from .conftest import MON, SAT, WEEK, local

pytestmark = pytest.mark.django_db

NEXT_MON = WEEK[MON] + dt.timedelta(weeks=1)


@pytest.fixture
def held(hours_queue, agent_factory, frozen):
    """A chat held on Saturday in Sales (Monday to Friday 08:00-16:00, Warsaw), an agent of Sales logged in."""
    queue = hours_queue(name="Sales")
    agent = agent_factory(queue=queue, logged_in=True, username="anna", first_name="Anna")
    frozen(local(WEEK[SAT], "10:00"))
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan", visitor_key="jan")
    return chat, agent, queue


def test_the_reason_of_a_held_chat_is_the_business_hours(held):
    chat, _agent, _queue = held
    assert chat_waiting_reason(chat=chat) == WaitingReason.HELD_FOR_HOURS
    other = factories.ChatFactory(queue=factories.QueueFactory(name="Plain"))
    assert waiting_reasons(chats=[chat, other]) == {
        chat.pk: WaitingReason.HELD_FOR_HOURS, other.pk: WaitingReason.NO_AGENT_LOGGED_IN,
    }
    assert held_openings(chats=[chat, other]) == {chat.pk: local(NEXT_MON, "08:00")}


def test_the_chat_page_says_when_the_queue_opens(held, client):
    chat, agent, _queue = held
    client.force_login(agent)
    html = client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-reason="held_for_hours"' in html
    assert "Waiting for the queue&#x27;s business hours: it is queued when the queue opens." in html
    assert '<span data-testid="waiting-opens">(opens Mon 08:00)</span>' in html


def test_the_waiting_list_shows_the_held_chat_with_its_opening(held, client):
    chat, agent, _queue = held
    client.force_login(agent)
    html = client.get(reverse("inbox:index"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "waiting for opening hours (opens Mon 08:00)" in html
    pl = client.get(reverse("inbox:index"), HTTP_ACCEPT_LANGUAGE="pl").content.decode()
    assert "czeka na godziny pracy (otwarcie Pon 08:00)" in pl


def test_the_floor_shows_the_held_chat_waiting_for_opening_hours(held, client):
    chat, _agent, _queue = held
    with translation.override("en"):
        rows = {row.chat.pk: row for row in floor_get().waiting}
    assert (rows[chat.pk].reason, rows[chat.pk].opens) == (WaitingReason.HELD_FOR_HOURS, "opens Mon 08:00")
    client.force_login(factories.UserFactory(is_staff=True))
    page = client.get(reverse("supervisor:floor"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for opening hours (opens Mon 08:00)" in page


def test_an_opening_a_week_or_more_away_has_its_date(hours_queue, frozen):
    holidays = [(NEXT_MON + dt.timedelta(days=n), "closed") for n in range(5)]
    queue = hours_queue(exceptions=holidays)
    frozen(local(WEEK[SAT], "10:00"))
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_key="x")
    from chat.selectors import chat_held_opening

    with translation.override("en"):
        assert chat_held_opening(chat=chat) == "opens Mon 16 Mar 08:00"


def test_the_timeline_says_held_and_queued_at_the_opening(held, frozen):
    chat, agent, _queue = held
    frozen(local(NEXT_MON, "08:00:20"))
    chats_release_held()
    with translation.override("en"):
        entries = {entry.kind: entry.text for entry in chat_timeline(chat=chat)}
    assert entries[ChatEvent.Kind.HELD_FOR_HOURS] == (
        "Held: Sales was outside its business hours. The chat waits for the opening (Mon 9 Mar 08:00) and is queued "
        "then."
    )
    assert entries[ChatEvent.Kind.RELEASED] == (
        "Queued in Sales at the opening, after 1 day 22 hours outside business hours."
    )
    with translation.override("pl"):
        polish = {entry.kind: entry.text for entry in chat_timeline(chat=chat)}
    assert polish[ChatEvent.Kind.RELEASED].startswith("Dodany do kolejki Sales w chwili otwarcia")

"""The live floor (issue 15, point 1): each figure on the page as SPEC.md defines it, why each waiting chat
waits, and a fixed number of queries whatever the size of the centre."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agents.models import PauseType
from chat.models import Chat, ChatEvent
from chat.reports.floor import floor_get
from tests import factories
from tests.chat.routing.helpers import set_card

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(timezone.datetime(2026, 12, 3, 14, 0))


@pytest.fixture
def centre(agent_factory, settings):
    settings.LANGUAGE_CODE = "en"
    sales = factories.QueueFactory(name="Sales", answer_target_seconds=60)
    support = factories.QueueFactory(name="Support")
    factories.QueueFactory(name="Closed down", active=False)
    brk = PauseType.objects.get(code="break")
    with time_machine.travel(NOW - timedelta(hours=1), tick=False):
        free = agent_factory(queue=sales, first_name="Free", last_name="Agent")
        paused = agent_factory(queue=sales, pause_type=brk, first_name="Paused", last_name="Agent")
        agent_factory(queue=sales, on_phone_call=True, first_name="Phone", last_name="Agent")
        agent_factory(queue=support, logged_in=False, first_name="Gone", last_name="Home")
    # Today in Sales: one answered within 60 s, one after 2 min, one missed; one from yesterday.
    day = NOW.replace(hour=9)
    for queued, response in ((day, day + timedelta(seconds=40)), (day, day + timedelta(seconds=120)), (day, None)):
        chat = factories.ChatFactory(
            queue=sales, status=Chat.Status.CLOSED, queued_at=queued, created_at=queued, agent=free,
            first_assigned_at=queued + timedelta(seconds=5), first_response_at=response, closed_at=day,
        )
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.ASSIGNED, agent=free, queue=sales,
                                 created_at=queued + timedelta(seconds=5))
    yesterday = NOW - timedelta(days=1)
    factories.ChatFactory(
        queue=sales, status=Chat.Status.CLOSED, queued_at=yesterday, created_at=yesterday,
        first_assigned_at=yesterday, first_response_at=yesterday, closed_at=yesterday, agent=free,
    )
    # Waiting now: two in Support (nobody logged in), one internal chat that counts nowhere.
    oldest = factories.ChatFactory(queue=support, queued_at=NOW - timedelta(minutes=7), created_at=NOW)
    newer = factories.ChatFactory(queue=support, queued_at=NOW - timedelta(minutes=2), created_at=NOW)
    return {"sales": sales, "support": support, "free": free, "paused": paused, "oldest": oldest, "newer": newer}


def test_per_queue_waiting_longest_wait_in_target_and_agents_by_state(centre):
    with time_machine.travel(NOW, tick=False):
        floor = floor_get()

    rows = {row.queue.name: row for row in floor.queues}
    assert list(rows) == ["Sales", "Support"]  # active queues only
    sales, support = rows["Sales"], rows["Support"]
    assert (support.waiting, support.oldest_queued_at) == (2, centre["oldest"].queued_at)
    assert (sales.queued_today, sales.answered_in_target_today, sales.in_target_percent) == (3, 1, 33)
    assert (sales.logged_in, sales.available, sales.on_phone_call, sales.paused_total) == (3, 2, 1, 1)
    assert [name for name, _n in sales.paused] == [str(PauseType.objects.get(code="break").label)]
    assert (support.logged_in, support.available) == (0, 0)


def test_each_waiting_chat_has_its_place_and_why_it_waits(centre):
    with time_machine.travel(NOW, tick=False):
        floor = floor_get()

    assert [(row.chat, row.position, row.reason.value) for row in floor.waiting] == [
        (centre["oldest"], 1, "no_agent_logged_in"),
        (centre["newer"], 2, "no_agent_logged_in"),
    ]


def test_a_full_agent_is_counted_full_and_the_chat_says_so(centre, agent_factory):
    set_card(max_concurrent_chats=1)
    lone = factories.QueueFactory(name="Lone")
    busy = agent_factory(queue=lone)
    factories.ChatFactory(queue=lone, status=Chat.Status.ASSIGNED, agent=busy)
    busy.presence.open_chats = 1
    busy.presence.save()
    waiting = factories.ChatFactory(queue=lone, queued_at=NOW - timedelta(minutes=1))

    with time_machine.travel(NOW, tick=False):
        floor = floor_get()

    row = {row.queue.name: row for row in floor.queues}["Lone"]
    assert (row.logged_in, row.available, row.full) == (1, 0, 1)
    assert {w.chat: w.reason.value for w in floor.waiting}[waiting] == "all_full"


def test_per_agent_state_open_chats_and_chats_today(centre):
    with time_machine.travel(NOW, tick=False):
        floor = floor_get()

    agents = {row.name: row for row in floor.agents}
    assert agents["Free Agent"].today.state == "available"
    assert agents["Paused Agent"].today.state == "paused"
    assert agents["Phone Agent"].today.state == "on_phone_call"
    assert agents["Gone Home"].today.state == "logged_out"
    assert agents["Free Agent"].today.chats_today == 3
    assert agents["Free Agent"].queues == ["Sales"]
    assert list(agents)[-1] == "Gone Home"  # the logged-out last


def test_the_page_shows_the_figures(centre, client):
    client.force_login(factories.UserFactory(is_staff=True))
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("supervisor:floor"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "No agent logged in" in page and "No agent of the queue is logged in." in page
    assert "1/3" in page and "(33%)" in page


def queries_of_the_floor() -> int:
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        floor_get()
    return len(queries)


def test_the_floor_costs_the_same_queries_for_20_queues_and_200_agents(centre, agent_factory):
    small = queries_of_the_floor()
    queues = [factories.QueueFactory(name=f"Q{i:02}") for i in range(20)]
    for i in range(200):
        agent_factory(queue=queues[i % 20], first_name=f"A{i:03}", logged_in=i % 3 > 0)
    for i in range(60):
        factories.ChatFactory(queue=queues[i % 20], queued_at=NOW - timedelta(minutes=i))

    assert queries_of_the_floor() == small

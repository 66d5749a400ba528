"""The visitor's place in the queue (issue 15, point 6): ``queue_positions`` ranks the waiting chats exactly as
dispatch serves them, and ``queue_wait_estimate`` follows the queue's recent pace."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from chat.models import Chat, ChatEvent
from chat.selectors import (
    chat_queue_place,
    queue_place_text,
    queue_positions,
    queue_wait_estimate,
)
from tests import factories
from tests.chat.routing.helpers import served_order, set_chat_order, waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Orders")


@pytest.fixture
def chats(queue):
    """Oldest first: a plain chat, a verified VIP, a plain chat, a verified VIP, a VIP who only claimed it."""
    vip, vip2, claimed = (factories.CustomerFactory(vip=True) for _ in range(3))
    return [
        waiting_chat(queue, minutes_ago=30),
        waiting_chat(queue, minutes_ago=20, customer=vip, customer_verified=True),
        waiting_chat(queue, minutes_ago=10),
        waiting_chat(queue, minutes_ago=5, customer=vip2, customer_verified=True),
        waiting_chat(queue, minutes_ago=2, customer=claimed, customer_verified=False),
    ]


def _by_position(positions: dict[int, int]) -> list[int]:
    return [pk for pk, _place in sorted(positions.items(), key=lambda item: item[1])]


@pytest.mark.parametrize(
    "order",
    [
        ("longest_waiting", "vip", "shortest_waiting"),
        ("vip", "longest_waiting", "shortest_waiting"),
        ("shortest_waiting", "vip", "longest_waiting"),
        ("vip", "shortest_waiting", "longest_waiting"),
    ],
)
def test_the_positions_are_the_order_dispatch_serves_the_chats_in(chats, queue, order):
    set_chat_order(*order)
    positions = queue_positions(queue_id=queue.pk)

    assert sorted(positions.values()) == [1, 2, 3, 4, 5]
    assert _by_position(positions) == served_order(queue)


def test_queues_are_ranked_each_on_its_own(chats, queue):
    other = factories.QueueFactory(name="Returns")
    elsewhere = [waiting_chat(other, minutes_ago=40), waiting_chat(other, minutes_ago=1)]

    positions = queue_positions()

    assert [positions[c.pk] for c in chats] == [1, 2, 3, 4, 5]
    assert [positions[c.pk] for c in elsewhere] == [1, 2]
    assert queue_positions(queue_id=other.pk) == {elsewhere[0].pk: 1, elsewhere[1].pk: 2}


def test_chat_ids_are_ranked_among_every_waiting_chat_of_their_queue_in_one_query(chats):
    with CaptureQueriesContext(connection) as queries:
        positions = queue_positions(chat_ids=[chats[2].pk, chats[4].pk], chat_codes=["longest_waiting"])
    assert positions == {chats[2].pk: 3, chats[4].pk: 5}
    assert len(queries) == 1
    assert "row_number() OVER (PARTITION BY c.queue_id" in queries[0]["sql"]
    assert queue_positions(chat_ids=[]) == {}


def test_chats_dispatch_would_not_serve_have_no_place_and_take_none(chats, queue):
    """A chat whose automatic assignment stopped waits for a person's "Assign": no place, and the chats behind it
    move up; assigned, closed and internal chats are not in the queue at all."""
    Chat.objects.filter(pk=chats[0].pk).update(auto_assign_stopped_at=timezone.now())
    agent = factories.UserFactory()
    factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=agent, queued_at=timezone.now())
    factories.ChatFactory(queue=queue, status=Chat.Status.CLOSED, closed_at=timezone.now())

    positions = queue_positions(queue_id=queue.pk)

    assert chats[0].pk not in positions
    assert [positions[c.pk] for c in chats[1:]] == [1, 2, 3, 4]
    assert chat_queue_place(chat_id=chats[0].pk) is None


def _assigned(queue, *, at):
    chat = factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=factories.UserFactory())
    ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.ASSIGNED, queue=queue, created_at=at)


def test_the_estimate_follows_the_queue_s_assignments_of_the_last_30_minutes(queue, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    now = timezone.now()
    for minutes in (2, 8, 14, 20, 26, 29):  # six in the last half hour: one chat every 5 minutes
        _assigned(queue, at=now - timedelta(minutes=minutes))
    _assigned(queue, at=now - timedelta(minutes=31))  # before the window
    _assigned(factories.QueueFactory(name="Other"), at=now - timedelta(minutes=1))  # another queue's

    assert queue_wait_estimate(queue_id=queue.pk, position=1) == timedelta(minutes=5)
    assert queue_wait_estimate(queue_id=queue.pk, position=3) == timedelta(minutes=15)

    time_machine.move_to("2026-03-02 10:15:00+00:00", tick=False)  # three of them left the window
    assert queue_wait_estimate(queue_id=queue.pk, position=3) == timedelta(minutes=30)

    time_machine.move_to("2026-03-02 11:00:00+00:00", tick=False)  # nothing assigned for half an hour
    assert queue_wait_estimate(queue_id=queue.pk, position=1) is None


def test_a_waiting_chat_s_place_says_its_position_and_the_estimate(chats, queue, time_machine):
    time_machine.move_to(timezone.now(), tick=False)
    for minutes in range(0, 30, 3):  # ten in half an hour: 3 minutes each
        _assigned(queue, at=timezone.now() - timedelta(minutes=minutes, seconds=30))

    place = chat_queue_place(chat_id=chats[2].pk)

    assert (place.position, place.wait_seconds, place.minutes) == (3, 540, 9)
    with translation.override("en"):
        assert place.text == "You are 3rd in line, about 9 minutes."
    with translation.override("pl"):
        assert place.text == "Jesteś 3. w kolejce, około 9 minut."


@pytest.mark.parametrize(
    "position, minutes, english, polish",
    [
        (1, 1, "You are next in line, about 1 minute.", "Jesteś następną osobą w kolejce, około 1 minuty."),
        (1, None, "You are next in line. We will answer as soon as possible.",
         "Jesteś następną osobą w kolejce. Odpowiemy najszybciej, jak to możliwe."),
        (2, 2, "You are 2nd in line, about 2 minutes.", "Jesteś 2. w kolejce, około 2 minut."),
        (3, 1, "You are 3rd in line, about 1 minute.", "Jesteś 3. w kolejce, około 1 minuty."),
        (11, 5, "You are 11th in line, about 5 minutes.", "Jesteś 11. w kolejce, około 5 minut."),
        (21, 22, "You are 21st in line, about 22 minutes.", "Jesteś 21. w kolejce, około 22 minut."),
        (4, None, "You are 4th in line. We will answer as soon as possible.",
         "Jesteś 4. w kolejce. Odpowiemy najszybciej, jak to możliwe."),
    ],
)
def test_the_sentence_in_both_languages(position, minutes, english, polish):
    with translation.override("en"):
        assert queue_place_text(position=position, minutes=minutes) == english
    with translation.override("pl"):
        assert queue_place_text(position=position, minutes=minutes) == polish


def test_many_queues_paces_in_one_query_give_the_same_estimates(queue, time_machine):
    from chat.selectors import queue_assignments_recent_by_queue

    time_machine.move_to("2026-03-02 10:00:00+00:00", tick=False)
    quiet, other = factories.QueueFactory(name="Quiet"), factories.QueueFactory(name="Other")
    for minutes in (1, 11, 21):
        _assigned(queue, at=timezone.now() - timedelta(minutes=minutes))
    _assigned(other, at=timezone.now() - timedelta(minutes=5))

    with CaptureQueriesContext(connection) as queries:
        paces = queue_assignments_recent_by_queue(queue_ids=[queue.pk, quiet.pk, other.pk])
    assert len(queries) == 1
    assert paces == {queue.pk: 3, other.pk: 1}
    for q in (queue, quiet, other):
        assert queue_wait_estimate(queue_id=q.pk, position=2, assignments=paces.get(q.pk, 0)) == queue_wait_estimate(
            queue_id=q.pk, position=2
        )

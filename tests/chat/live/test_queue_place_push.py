"""The visitor's place, pushed (issue 15, point 6): a waiting widget's socket is in its queue's ``visitor.queue.<id>``
group; a chat ahead assigned, closed or transferred away is published once to that group, and each waiting socket
works out its own new place and sends it, in its widget's language. Real consumers, real services, after commit."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from chat.models import Chat
from chat.services.chats import chat_assign, chat_close, chat_start, chat_transfer
from chat.services.live import LiveEvent
from chat.services.live.broadcast import event_groups
from chat.services.visitors import visitor_token_issue
from tests import factories
from tests.chat.live.test_consumers import receives_nothing, widget_socket
from tests.chat.routing.helpers import waiting_chat

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def line(db):
    """Three chats waiting in a queue nobody serves automatically (oldest first), and a logged-in agent."""
    orders = factories.QueueFactory(name="Orders")
    agent = factories.UserFactory(username="anna", first_name="Anna")
    factories.PresenceFactory(agent=agent, logged_in=True)
    chats = [waiting_chat(orders, minutes_ago=minutes) for minutes in (30, 20, 10)]
    return {"queue": orders, "agent": agent, "chats": chats,
            "tokens": [visitor_token_issue(chat_id=chat.pk) for chat in chats]}


async def waiting_socket(line, n: int, lang: str = "en"):
    chat, token = line["chats"][n], line["tokens"][n]
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": token, "lang": lang})
    assert await socket.receive_json_from(timeout=2) == {"kind": "ready", "chat": chat.pk}
    return socket


async def test_waiting_visitors_hear_their_new_place_when_the_chat_ahead_is_assigned(line):
    second, third = await waiting_socket(line, 1), await waiting_socket(line, 2, lang="pl")

    await database_sync_to_async(chat_assign)(chat_id=line["chats"][0].pk, agent_id=line["agent"].pk)

    assert await second.receive_json_from(timeout=2) == {
        "kind": "queue.place", "chat": line["chats"][1].pk,
        "place": {"position": 1, "wait_seconds": 1800, "text": "You are next in line, about 30 minutes."},
    }
    assert await third.receive_json_from(timeout=2) == {
        "kind": "queue.place", "chat": line["chats"][2].pk,
        "place": {"position": 2, "wait_seconds": 3600, "text": "Jesteś 2. w kolejce, około 60 minut."},
    }
    assert await receives_nothing(second)
    await second.disconnect()
    await third.disconnect()


async def test_a_chat_ahead_closed_or_transferred_away_moves_the_visitor_up(line):
    other = await database_sync_to_async(factories.QueueFactory)(name="Returns")
    third = await waiting_socket(line, 2)

    await database_sync_to_async(chat_close)(chat_id=line["chats"][0].pk, reason="client")
    got = await third.receive_json_from(timeout=2)
    assert (got["kind"], got["place"]["position"]) == ("queue.place", 2)

    await database_sync_to_async(chat_transfer)(chat_id=line["chats"][1].pk, to_queue_id=other.pk)
    got = await third.receive_json_from(timeout=2)
    assert (got["kind"], got["place"]["position"], got["place"]["wait_seconds"]) == ("queue.place", 1, None)
    assert got["place"]["text"] == "You are next in line. We will answer as soon as possible."
    await third.disconnect()


async def test_once_assigned_the_visitor_hears_no_more_of_the_queue(line):
    second = await waiting_socket(line, 1)

    await database_sync_to_async(chat_assign)(chat_id=line["chats"][1].pk, agent_id=line["agent"].pk)
    assert await second.receive_json_from(timeout=2) == {"kind": "chat.assigned", "chat": line["chats"][1].pk}

    await database_sync_to_async(chat_close)(chat_id=line["chats"][2].pk, reason="client")
    assert await receives_nothing(second)
    await second.disconnect()


async def test_a_visitor_whose_automatic_assignment_stopped_is_told_he_has_no_place(line):
    from chat.services.live.publish import live_chat

    third = await waiting_socket(line, 2)
    chat = line["chats"][2]

    def stop():
        Chat.objects.filter(pk=chat.pk).update(auto_assign_stopped_at=timezone.now())
        live_chat("chat.changed", chat_id=chat.pk, queues=[line["queue"].pk], auto_assign_stopped=True)

    await database_sync_to_async(stop)()
    assert await third.receive_json_from(timeout=2) == {"kind": "queue.place", "chat": chat.pk, "place": None}
    await third.disconnect()


async def test_one_publish_per_queue_change_reaches_the_queue_s_visitors_in_one_group():
    assigned = LiveEvent(kind="chat.assigned", chat_id=5, agent_ids=(7,), queue_ids=(3,))
    assert event_groups(assigned).count("visitor.queue.3") == 1
    # Nothing that leaves the waiting list as it is: a message, an agent joining the queue.
    assert "visitor.queue.3" not in event_groups(LiveEvent(kind="chat.message", chat_id=5, queue_ids=(3,)))
    assert "visitor.queue.3" not in event_groups(LiveEvent(kind="queue.changed", agent_ids=(7,), queue_ids=(3,)))


async def test_a_chat_queued_behind_him_sends_no_new_place(line):
    """FIFO: a newcomer joins the end of the line, the visitor's place and estimate stay: nothing is sent."""
    second = await waiting_socket(line, 1)
    await database_sync_to_async(chat_close)(chat_id=line["chats"][0].pk, reason="client")
    assert (await second.receive_json_from(timeout=2))["place"]["position"] == 1

    await database_sync_to_async(chat_start)(
        channel="website", queue_id=line["queue"].pk, visitor_name="Newcomer", visitor_key="newcomer-key-000001"
    )
    assert await receives_nothing(second)
    await second.disconnect()

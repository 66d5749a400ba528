"""The push channel's doors: who may listen to what, checked on connect and on every event (issue 13, point 2).

Real consumers behind the real ASGI application (origin checks, session authentication) over Channels' test
communicator, on the in-memory layer of the test settings; events are published by the service side's
``live_publish`` exactly as the services do after commit.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.utils import timezone

from agents.models import Presence
from chat.models import Chat, Message
from chat.services.live import LiveEvent, live_publish
from chat.services.visitors import visitor_token_issue
from config.asgi import application
from tests import factories

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]

ORIGIN = (b"origin", b"http://localhost")
NOTHING = 0.2  # seconds a listener is given to receive what it must not receive


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()


async def inbox_socket(user=None, origin=ORIGIN) -> tuple[WebsocketCommunicator, bool, int | None]:
    headers = [origin] if origin else []
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(session_cookie)(user)))
    socket = WebsocketCommunicator(application, "/ws/inbox/", headers=headers)
    connected, code = await socket.connect()
    return socket, connected, code


async def widget_socket(origin=b"http://localhost:8001") -> WebsocketCommunicator:
    socket = WebsocketCommunicator(application, "/ws/widget/", headers=[(b"origin", origin)])
    connected, _code = await socket.connect()
    assert connected
    return socket


async def publish(**kwargs) -> None:
    await database_sync_to_async(live_publish)(LiveEvent(**kwargs))


async def receives_nothing(socket: WebsocketCommunicator) -> bool:
    return await socket.receive_nothing(timeout=NOTHING)


@pytest.fixture
def world(db):
    """Two agents of one queue, each with a chat of his own, and a waiting chat of another queue."""
    sales, other = factories.QueueFactory(name="Sales"), factories.QueueFactory(name="Other")
    anna = factories.UserFactory(username="anna", first_name="Anna")
    bartek = factories.UserFactory(username="bartek", first_name="Bartek")
    for agent in (anna, bartek):
        factories.PresenceFactory(agent=agent, logged_in=True)
        factories.MembershipFactory(agent=agent, queue=sales)
    annas = factories.ChatFactory(queue=sales, status=Chat.Status.ASSIGNED, agent=anna)
    barteks = factories.ChatFactory(queue=sales, status=Chat.Status.ASSIGNED, agent=bartek)
    foreign = factories.ChatFactory(queue=other)
    return {
        "anna": anna,
        "bartek": bartek,
        "sales": sales,
        "other": other,
        "annas": annas,
        "barteks": barteks,
        "foreign": foreign,
    }


# --- the inbox ------------------------------------------------------------------------------------------


async def test_an_inbox_socket_without_a_session_is_refused():
    socket, connected, code = await inbox_socket(user=None)
    assert not connected
    assert code == 4401


async def test_an_inbox_socket_from_a_foreign_page_is_refused(world):
    socket, connected, _code = await inbox_socket(world["anna"], origin=(b"origin", b"http://evil.example"))
    assert not connected


async def test_an_agent_hears_of_his_own_chat(world):
    socket, connected, _ = await inbox_socket(world["anna"])
    assert connected
    await publish(kind="chat.message", chat_id=world["annas"].pk, agent_ids=(world["anna"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": world["annas"].pk}
    await socket.disconnect()


async def test_an_agent_hears_nothing_of_a_colleagues_chat_even_when_he_asks_to_watch_it(world):
    socket, _, _ = await inbox_socket(world["anna"])
    await socket.send_json_to({"type": "watch", "chat": world["barteks"].pk})
    await publish(kind="chat.message", chat_id=world["barteks"].pk, agent_ids=(world["bartek"].pk,))
    await publish(kind="typing", chat_id=world["barteks"].pk, data={"side": "visitor"})
    assert await receives_nothing(socket)
    await socket.disconnect()


async def test_an_agent_hears_of_waiting_chats_of_his_queues_only(world):
    mine = await database_sync_to_async(factories.ChatFactory)(queue=world["sales"])
    socket, _, _ = await inbox_socket(world["anna"])
    await publish(kind="chat.queued", chat_id=world["foreign"].pk, queue_ids=(world["other"].pk,))
    assert await receives_nothing(socket)
    await publish(kind="chat.queued", chat_id=mine.pk, queue_ids=(world["sales"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.queued", "chat": mine.pk}
    await socket.disconnect()


async def test_an_agent_added_to_a_queue_hears_of_its_waiting_chats_from_then_on(world):
    socket, _, _ = await inbox_socket(world["anna"])
    await database_sync_to_async(factories.MembershipFactory)(agent=world["anna"], queue=world["other"])
    await publish(kind="queue.changed", agent_ids=(world["anna"].pk,), queue_ids=(world["other"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "queue.changed"}
    await publish(kind="chat.queued", chat_id=world["foreign"].pk, queue_ids=(world["other"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.queued", "chat": world["foreign"].pk}
    await socket.disconnect()


async def test_a_chat_transferred_away_is_not_named_to_its_former_agent(world):
    socket, _, _ = await inbox_socket(world["anna"])
    chat = world["annas"]
    await database_sync_to_async(Chat.objects.filter(pk=chat.pk).update)(agent=world["bartek"])
    await publish(kind="chat.transferred", chat_id=chat.pk, agent_ids=(world["anna"].pk, world["bartek"].pk))
    # His lists change (the chat leaves them), but the event does not say which chat or what happened.
    assert await socket.receive_json_from(timeout=2) == {"kind": "refresh"}
    assert await receives_nothing(socket)
    await socket.disconnect()


async def test_a_deactivated_agent_hears_nothing_more_on_an_open_socket(world):
    socket, _, _ = await inbox_socket(world["anna"])
    await database_sync_to_async(type(world["anna"]).objects.filter(pk=world["anna"].pk).update)(is_active=False)
    await publish(kind="chat.message", chat_id=world["annas"].pk, agent_ids=(world["anna"].pk,))
    assert (await socket.receive_output(timeout=2)) == {"type": "websocket.close", "code": 4401}


async def test_staff_hear_of_every_chat(world):
    boss = await database_sync_to_async(factories.AdminFactory)()
    socket, _, _ = await inbox_socket(boss)
    await publish(kind="chat.queued", chat_id=world["foreign"].pk, queue_ids=(world["other"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.queued", "chat": world["foreign"].pk}
    await socket.disconnect()


async def test_an_event_reaching_a_page_through_several_groups_arrives_once(world):
    socket, _, _ = await inbox_socket(world["anna"])
    await socket.send_json_to({"type": "watch", "chat": world["annas"].pk})
    await asyncio.sleep(0)  # let the watch be handled before the event
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"kind": "pong"}
    await publish(
        kind="chat.message", chat_id=world["annas"].pk, agent_ids=(world["anna"].pk,), queue_ids=(world["sales"].pk,)
    )
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": world["annas"].pk}
    assert await receives_nothing(socket)
    await socket.disconnect()


# --- the widget -------------------------------------------------------------------------------------------


@pytest.fixture
def visitor_chat(world):
    chat = factories.ChatFactory(queue=world["sales"], status=Chat.Status.ASSIGNED, agent=world["anna"])
    return chat, visitor_token_issue(chat_id=chat.pk)


async def test_a_widget_socket_hears_its_own_chat_after_its_token(visitor_chat, world):
    chat, token = visitor_chat
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": token})
    assert await socket.receive_json_from(timeout=2) == {"kind": "ready", "chat": chat.pk}
    await publish(kind="chat.transferred", chat_id=chat.pk, agent_ids=(world["anna"].pk,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.transferred", "chat": chat.pk}
    # His own message (the widget shows it from its POST's answer), another chat's, the agents' side of his own.
    await publish(kind="chat.message", chat_id=chat.pk, data={"sender": "client"})
    await publish(kind="chat.message", chat_id=world["annas"].pk, agent_ids=(world["anna"].pk,))
    await publish(kind="chat.changed", chat_id=chat.pk)  # the agents' side of the chat: not the visitor's
    assert await receives_nothing(socket)
    await socket.disconnect()


async def test_a_widget_socket_with_another_chats_token_is_closed_and_hears_nothing(visitor_chat, world):
    chat, _token = visitor_chat
    other = await database_sync_to_async(factories.ChatFactory)(queue=world["sales"])
    other_token = await database_sync_to_async(visitor_token_issue)(chat_id=other.pk)
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": other_token})
    assert (await socket.receive_output(timeout=2))["code"] == 4403
    await publish(kind="chat.message", chat_id=chat.pk)
    assert await receives_nothing(socket)


async def test_a_widget_socket_must_authenticate_first(visitor_chat):
    chat, _token = visitor_chat
    socket = await widget_socket()
    await socket.send_json_to({"type": "typing"})
    assert (await socket.receive_output(timeout=2))["code"] == 4401
    await publish(kind="chat.message", chat_id=chat.pk)
    assert await receives_nothing(socket)


async def test_a_widget_socket_from_a_page_not_allowed_for_the_widget_is_refused():
    socket = WebsocketCommunicator(application, "/ws/widget/", headers=[(b"origin", b"http://evil.example")])
    connected, _code = await socket.connect()
    assert not connected


async def test_a_replaced_token_closes_the_old_widget_socket(visitor_chat):
    chat, token = visitor_chat
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": token})
    await socket.receive_json_from(timeout=2)
    await database_sync_to_async(visitor_token_issue)(chat_id=chat.pk)  # the chat resumed elsewhere
    await publish(kind="chat.message", chat_id=chat.pk)
    assert (await socket.receive_output(timeout=2))["code"] == 4403


async def test_an_agents_message_reaches_the_widget_with_its_content_as_the_api_shows_it(visitor_chat, world):
    chat, token = visitor_chat
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": token})
    await socket.receive_json_from(timeout=2)
    reply = await database_sync_to_async(factories.MessageFactory)(
        chat=chat, sender="agent", author=world["anna"], body="Dzień dobry"
    )
    await publish(kind="chat.message", chat_id=chat.pk, data={"message_id": reply.pk, "sender": "agent"})
    got = await socket.receive_json_from(timeout=2)
    assert (got["kind"], got["chat"]) == ("chat.message", chat.pk)
    assert {k: got["message"][k] for k in ("id", "sender", "author_name", "body")} == {
        "id": reply.pk, "sender": "agent", "author_name": "Anna", "body": "Dzień dobry"}
    # An id that is not this chat's message brings no content (a nudge only).
    foreign = await database_sync_to_async(factories.MessageFactory)(chat=world["annas"], sender="agent")
    await publish(kind="chat.message", chat_id=chat.pk, data={"message_id": foreign.pk, "sender": "agent"})
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}
    await socket.disconnect()


# --- typing, both ways ----------------------------------------------------------------------------------


async def test_typing_reaches_the_other_side_once_per_interval_and_names_the_agent(visitor_chat, world):
    chat, token = visitor_chat
    visitor = await widget_socket()
    await visitor.send_json_to({"type": "auth", "chat": chat.pk, "token": token})
    await visitor.receive_json_from(timeout=2)
    agent, _, _ = await inbox_socket(world["anna"])
    await agent.send_json_to({"type": "watch", "chat": chat.pk})
    await agent.send_json_to({"type": "ping"})
    await agent.receive_json_from(timeout=2)  # pong: the watch is in place

    for _ in range(5):
        await visitor.send_json_to({"type": "typing"})
    assert await agent.receive_json_from(timeout=2) == {"kind": "typing", "chat": chat.pk, "side": "visitor"}
    assert await receives_nothing(agent)  # four more keystrokes within 2 s: dropped

    await agent.send_json_to({"type": "typing", "chat": chat.pk})
    assert await visitor.receive_json_from(timeout=2) == {"kind": "typing", "chat": chat.pk, "name": "Anna"}
    assert await receives_nothing(visitor)  # an agent does not hear his own typing echoed as the visitor's
    await visitor.disconnect()
    await agent.disconnect()


# --- presence follows the open inbox --------------------------------------------------------------------------


async def test_an_open_inbox_socket_is_the_agents_heartbeat(world):
    long_ago = timezone.now() - timedelta(minutes=10)
    await database_sync_to_async(Presence.objects.filter(agent=world["anna"]).update)(live_seen_at=long_ago)
    socket, _, _ = await inbox_socket(world["anna"])
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from(timeout=2) == {"kind": "pong"}
    presence = await database_sync_to_async(Presence.objects.get)(agent=world["anna"])
    assert presence.live_seen_at > timezone.now() - timedelta(seconds=5)
    await socket.disconnect()


async def test_a_private_note_never_reaches_the_widget_socket(visitor_chat, world):
    from chat.services.messages import message_post

    chat, token = visitor_chat
    socket = await widget_socket()
    await socket.send_json_to({"type": "auth", "chat": chat.pk, "token": token})
    await socket.receive_json_from(timeout=2)
    # Posted through the service, whose event leaves after the commit as it does in production.
    await database_sync_to_async(message_post)(
        chat_id=chat.pk, sender="note", author_id=world["anna"].pk, body="VIP: offer free shipping"
    )
    await database_sync_to_async(message_post)(
        chat_id=chat.pk, sender="agent", author_id=world["anna"].pk, body="Hello!"
    )
    got = await socket.receive_json_from(timeout=2)  # the reply is the first thing the widget hears
    assert (got["kind"], got["message"]["body"]) == ("chat.message", "Hello!")
    assert await receives_nothing(socket)
    # Even an event that calls a note an agent's reply carries no content to the widget.
    note = await database_sync_to_async(Message.objects.filter(chat=chat, sender="note").get)()
    await publish(kind="chat.message", chat_id=chat.pk, data={"message_id": note.pk, "sender": "agent"})
    assert await socket.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}
    await socket.disconnect()


async def test_open_sockets_are_counted_by_kind_until_they_close(world):
    from prometheus_client import REGISTRY  # noqa: PLC0415

    def open_ones(kind: str) -> float:
        return REGISTRY.get_sample_value("parley_live_connections", {"kind": kind}) or 0.0

    inbox_before, widget_before = open_ones("inbox"), open_ones("widget")
    socket, connected, _code = await inbox_socket(world["anna"])
    widget = await widget_socket()
    assert connected
    assert (open_ones("inbox"), open_ones("widget")) == (inbox_before + 1, widget_before + 1)
    refused, connected, _code = await inbox_socket(None)  # refused before it was accepted: not counted
    assert not connected
    assert open_ones("inbox") == inbox_before + 1
    await socket.disconnect()
    await widget.disconnect()
    assert (open_ones("inbox"), open_ones("widget")) == (inbox_before, widget_before)

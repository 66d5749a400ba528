"""The live floor's socket (issue 15, point 1): staff only; every change becomes one "draw the floor again"
nudge, and a burst of changes one or two nudges, not one per event."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from tests import factories

from .test_consumers import ORIGIN, publish, receives_nothing, session_cookie

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


async def floor_socket(user) -> tuple[WebsocketCommunicator, bool, int | None]:
    cookie = await database_sync_to_async(session_cookie)(user)
    socket = WebsocketCommunicator(application, "/ws/floor/", headers=[ORIGIN, (b"cookie", cookie)])
    connected, code = await socket.connect()
    return socket, connected, code


async def test_an_agent_who_is_not_staff_is_refused():
    agent = await database_sync_to_async(factories.UserFactory)()

    socket, connected, code = await floor_socket(agent)

    assert (connected, code) == (False, 4403)


async def test_staff_hear_a_change_of_any_chat_or_presence_as_one_nudge():
    boss = await database_sync_to_async(factories.UserFactory)(is_staff=True)
    socket, connected, _code = await floor_socket(boss)
    assert connected

    await publish(kind="chat.assigned", chat_id=12345, agent_ids=(7,), queue_ids=(3,))
    assert await socket.receive_json_from(timeout=2) == {"kind": "floor"}

    for _ in range(5):  # a burst within the nudge interval: one more nudge for all of it
        await publish(kind="presence.changed", agent_ids=(7,))
    assert await socket.receive_json_from(timeout=3) == {"kind": "floor"}
    assert await receives_nothing(socket)
    await socket.disconnect()


async def test_typing_is_no_change_of_the_floor():
    boss = await database_sync_to_async(factories.UserFactory)(is_staff=True)
    socket, connected, _code = await floor_socket(boss)
    assert connected

    await publish(kind="typing", chat_id=1, data={"side": "visitor"})

    assert await receives_nothing(socket)
    await socket.disconnect()

"""Issue 15, point 2, live: a supervisor watching somebody else's chat hears of it on his inbox socket (staff see
every chat), the agent hears a whisper at once, and the visitor's widget socket hears nothing of it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from chat.models import Chat
from chat.services.messages import message_post
from chat.services.supervision import supervisor_join, supervisor_take_over, supervisor_whisper
from chat.services.visitors import visitor_token_issue
from tests import factories
from tests.chat.live.test_consumers import inbox_socket, receives_nothing, widget_socket

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def floor(db):
    sales = factories.QueueFactory(name="Sales")
    anna = factories.UserFactory(username="anna", first_name="Anna")
    factories.PresenceFactory(agent=anna, logged_in=True, open_chats=1)
    factories.MembershipFactory(agent=anna, queue=sales)
    boss = factories.UserFactory(username="boss", first_name="Sylwia", is_staff=True)
    chat = factories.ChatFactory(queue=sales, status=Chat.Status.ASSIGNED, agent=anna)
    return {"anna": anna, "boss": boss, "chat": chat, "token": visitor_token_issue(chat_id=chat.pk)}


async def test_a_watching_supervisor_hears_the_chat_live_and_the_visitor_never_hears_the_whisper(floor):
    chat, anna, boss = floor["chat"], floor["anna"], floor["boss"]
    await database_sync_to_async(supervisor_join)(chat_id=chat.pk, actor=boss)
    watcher, connected, _ = await inbox_socket(boss)
    assert connected
    await watcher.send_json_to({"type": "watch", "chat": chat.pk})
    agent, _, _ = await inbox_socket(anna)
    widget = await widget_socket()
    await widget.send_json_to({"type": "auth", "chat": chat.pk, "token": floor["token"]})
    assert (await widget.receive_json_from(timeout=2))["kind"] == "ready"

    # The visitor writes: the supervisor's page, watching, is nudged like the agent's.
    await database_sync_to_async(message_post)(chat_id=chat.pk, sender="client", body="Where is my parcel?")
    assert await watcher.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}
    assert await agent.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}

    # The supervisor whispers: the agent hears it at once; the widget hears nothing at all.
    await database_sync_to_async(supervisor_whisper)(chat_id=chat.pk, actor=boss, body="Offer the discount")
    assert await agent.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}
    assert await watcher.receive_json_from(timeout=2) == {"kind": "chat.message", "chat": chat.pk}
    assert await receives_nothing(widget)

    for socket in (watcher, agent, widget):
        await socket.disconnect()


async def test_after_a_take_over_the_former_agent_is_no_longer_told_of_the_chat(floor):
    chat, anna, boss = floor["chat"], floor["anna"], floor["boss"]
    agent, _, _ = await inbox_socket(anna)

    await database_sync_to_async(supervisor_take_over)(chat_id=chat.pk, actor=boss)

    heard = [await agent.receive_json_from(timeout=2) for _ in range(2)]
    # His lists change (the chat left them), but the chat is not named to him any more.
    assert {"kind": "refresh"} in heard and all(h.get("chat") is None for h in heard)
    await agent.disconnect()

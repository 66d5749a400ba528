from __future__ import annotations

import pytest

from chat.models import Chat
from chat.services.chats import chat_assign, chat_start
from tests import factories


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(queue=queue, username="anna", first_name="Anna")


@pytest.fixture
def colleague(agent_factory, queue):
    return agent_factory(queue=queue, username="bartek", first_name="Bartek")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def start_chat(queue):
    """Start a website chat through the service (it stays waiting: nothing runs dispatch here)."""

    def start(*, name="Jan Kowalski", email="", queue_obj=None, key=""):
        return chat_start(channel=Chat.Channel.WEBSITE, queue_id=(queue_obj or queue).pk, visitor_name=name,
                          visitor_email=email, visitor_key=key)

    return start


@pytest.fixture
def my_chat(start_chat, agent):
    chat = start_chat()
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)

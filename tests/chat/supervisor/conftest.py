from __future__ import annotations

import pytest

from chat.models import Chat
from chat.services.chats import chat_assign
from tests import factories
from tests.chat.routing.helpers import waiting_chat


@pytest.fixture
def queue(db):
    return factories.QueueFactory()


@pytest.fixture
def supervisor(agent_factory):
    """A staff user, logged out (he watches the floor; he is logged in only to hold a chat)."""
    return agent_factory(is_staff=True, first_name="Sylwia", last_name="Nowak", logged_in=False)


@pytest.fixture
def assigned(agent_factory, queue):
    """A website chat assigned to Anna."""
    anna = agent_factory(first_name="Anna", queue=queue)
    chat = waiting_chat(queue, visitor_name="Jan")
    chat_assign(chat_id=chat.pk, agent_id=anna.pk)
    return Chat.objects.get(pk=chat.pk), anna


@pytest.fixture(scope="session", autouse=True)
def _threads_left_open(close_connections_threads_left_open):
    """The live tests' consumer checks run in executor threads, whose connections outlive the tests
    (tests/conftest.py)."""

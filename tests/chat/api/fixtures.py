"""Fixtures shared by the API, widget and Messenger tests (imported by their conftest.py)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import ApiToken
from tests import factories


@pytest.fixture(autouse=True)
def clear_throttle_cache(settings):
    """Throttle counters live in the cache: each test starts with none. The database cache (the
    tests' default) is rolled back with each test, and emptied after transactional ones by
    tests/conftest.py; a Redis cache (TEST_CACHE_URL) is emptied here."""
    from django.core.cache import cache

    if settings.CACHES["default"]["BACKEND"].endswith("DatabaseCache"):
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def other_queue(db):
    return factories.QueueFactory(name="Support")


@pytest.fixture
def staff(db):
    user = factories.AdminFactory(username="boss")
    factories.PresenceFactory(agent=user, logged_in=False)
    return user


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(username="anna", queue=queue, logged_in=True)


@pytest.fixture
def other_agent(agent_factory, other_queue):
    return agent_factory(username="bartek", queue=other_queue, logged_in=True)


def token_client(user) -> APIClient:
    _token, key = ApiToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def staff_api(staff) -> APIClient:
    return token_client(staff)


@pytest.fixture
def agent_api(agent) -> APIClient:
    return token_client(agent)


@pytest.fixture
def other_api(other_agent) -> APIClient:
    return token_client(other_agent)


@pytest.fixture
def start_chat(queue):
    """Start a website chat through the service: ``start_chat(queue=q, visitor_name=...)``."""
    from chat.services.chats import chat_start

    def start(**kwargs):
        kwargs.setdefault("queue_id", (kwargs.pop("queue", None) or queue).pk)
        kwargs.setdefault("channel", "website")
        kwargs.setdefault("visitor_name", "Visitor")
        return chat_start(**kwargs)

    return start

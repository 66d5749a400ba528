"""Fixtures of the timeline tests: a queue "Sales", agents with names people read, English by default."""

from __future__ import annotations

import pytest
from django.utils import translation

from tests import factories


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def named_agent(agent_factory):
    """``named_agent("Anna Nowak", queue=q, priority=5)``: an agent logged in, with a first and a last name."""

    def make(full_name: str, **kwargs):
        first, last = full_name.split(" ", 1)
        return agent_factory(username=first.lower(), first_name=first, last_name=last, **kwargs)

    return make


@pytest.fixture
def english():
    with translation.override("en"):
        yield

from __future__ import annotations

import pytest

from tests import factories

from .scenario import build_other, build_person


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(queue=queue, username="anna", first_name="Anna")


@pytest.fixture
def staff(db):
    user = factories.AdminFactory(username="boss")
    factories.PresenceFactory(agent=user, logged_in=False)
    return user


@pytest.fixture
def other(queue, agent):
    return build_other(queue=queue, agent=agent)


@pytest.fixture
def person(queue, agent, staff, other):
    return build_person(queue=queue, agent=agent, staff=staff, other=other)

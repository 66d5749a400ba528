"""The fixtures of the push channel's browser tests: a queue, Anna (an agent of it, not logged in yet), and a browser
context for her and one for the visitor (a Polish browser on a laptop)."""

import pytest

from tests import factories


@pytest.fixture
def queue(transactional_db):
    return factories.QueueFactory(name="Sprzedaż")


@pytest.fixture
def agent(agent_factory, queue):
    return agent_factory(queue=queue, username="anna", first_name="Anna", last_name="Nowicka", logged_in=False)


@pytest.fixture
def agent_context(new_context):
    return new_context()


@pytest.fixture
def visitor_context(new_context):
    return new_context(viewport={"width": 1280, "height": 800}, locale="pl-PL")

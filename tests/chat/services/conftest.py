import pytest

from tests import factories


@pytest.fixture
def queue():
    """A queue named Main (a module with a ``queue`` of its own uses that one)."""
    return factories.QueueFactory(name="Main")

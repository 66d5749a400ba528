import pytest

from chat.services.live.events import live_published
from tests import factories


class Published(list):
    """The events published after commit, in order."""

    def of(self, kind: str) -> list:
        return [event for event in self if event.kind == kind]

    def one(self, kind: str):
        found = self.of(kind)
        assert len(found) == 1, f"{kind}: {found} (all: {list(self)})"
        return found[0]


@pytest.fixture
def published():
    events = Published()

    def record(*, event):
        events.append(event)

    live_published.register(record)
    yield events
    live_published.unregister(record)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the block's after-commit callbacks as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def queue(db):
    return factories.QueueFactory(name="Main")


@pytest.fixture(scope="session", autouse=True)
def _threads_left_open(close_connections_threads_left_open):
    """The consumers' checks run in executor threads, whose connections outlive the tests (tests/conftest.py)."""

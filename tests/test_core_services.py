"""core.services.on_commit_robust: what fails after a commit is logged, never raised to the code that committed."""

from __future__ import annotations

from functools import partial

import pytest

from core.services import on_commit_robust


def refuse(reason: str) -> None:
    raise ConnectionError(reason)


@pytest.mark.django_db(transaction=True)
def test_a_failing_callback_is_logged_with_its_name_and_the_commit_stands(caplog):
    # Outside a transaction the callback runs at once; a functools.partial there made Django's own log line fail
    # with AttributeError (it names the callback by __qualname__).
    on_commit_robust(partial(refuse), "Redis is down")
    on_commit_robust(refuse, "Redis is down")
    assert "Error calling refuse in on_commit() (Redis is down)." in caplog.text

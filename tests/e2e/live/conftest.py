"""The fixtures of the push channel's browser tests: a browser context for Anna (``agent``, tests/e2e/conftest.py) and
one for the visitor (a Polish browser on a laptop)."""

import pytest


@pytest.fixture
def agent_context(new_context):
    return new_context()


@pytest.fixture
def visitor_context(new_context):
    return new_context(viewport={"width": 1280, "height": 800}, locale="pl-PL")

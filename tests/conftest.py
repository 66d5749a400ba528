from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import factories

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _isolated_media(tmp_path, settings):
    """Each test writes uploads into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


@pytest.fixture
def chat_settings(db):
    from chat.models import ChatSettings

    return ChatSettings.load()


@pytest.fixture
def admin_user(db):
    return factories.AdminFactory(username="boss")


@pytest.fixture
def agent_factory(db):
    """Make an agent with a presence row: ``agent_factory(queue=q, priority=5, logged_in=True)``."""

    def make(*, queue=None, queues=(), priority: int = 0, logged_in: bool = True, pause_type=None,
             on_phone_call: bool = False, **user_fields):
        user = factories.UserFactory(**user_fields)
        factories.PresenceFactory(agent=user, logged_in=logged_in, pause_type=pause_type,
                                  on_phone_call=on_phone_call)
        for q in ([queue] if queue else []) + list(queues):
            factories.MembershipFactory(agent=user, queue=q, priority=priority)
        return user

    return make


def chromium_path() -> str:
    """The browser the tests drive: Debian's chromium, never a downloaded one."""
    if Path(CHROMIUM).exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    return ""


@pytest.fixture(scope="session")
def browser_executable() -> str:
    return chromium_path()




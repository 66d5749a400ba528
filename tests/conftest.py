from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from tests import factories

CHROMIUM = "/usr/bin/chromium"


@pytest.hookimpl(tryfirst=True)  # before -m selects: a browser test is in the slow tier however it is marked
def pytest_collection_modifyitems(config, items):
    """The tiers (docs/testing.md): ``browser`` implies ``slow``; ``postgresql`` tests are skipped, with
    their reason, when the tests run on another database (the SQLite leg, config.settings.test_sqlite)."""
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    for item in items:
        if item.get_closest_marker("browser") and not item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.slow)
        marker = item.get_closest_marker("postgresql")
        if marker and vendor != "postgresql":
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "PostgreSQL only")
            item.add_marker(pytest.mark.skip(reason=f"PostgreSQL only ({vendor} here): {reason}"))


@pytest.fixture
def cache_in_memory(settings):
    """Redis stands in production; here the local-memory cache, so that only ORM queries are counted."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture(autouse=True)
def _isolated_media(tmp_path, settings):
    """Each test writes uploads into its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    yield


# Rows that data migrations create and that the product relies on (the card and
# its strategy orders, the built-in pause types, the beat schedule). A
# transactional test (live_server, several processes) ends with a flush that
# empties every table, so the tests after it would start from a database no
# real installation can be in; they get these rows back first.
MIGRATION_DATA = [
    ("agents.migrations.0002_builtin_pause_types", "create_built_ins"),
    ("chat.migrations.0002_default_settings", "create_defaults"),
    ("chat.migrations.0003_periodic_tasks", "create_periodic_tasks"),
    ("chat.migrations.0009_orphan_files_task", "create_orphan_files_task"),
    ("chat.migrations.0007_messenger_outbox", "create_outbox_sweep_task"),
    ("chat.migrations.0011_presence_rule_task", "create_presence_rule_task"),
    ("chat.migrations.0020_release_held_task", "create_release_held_task"),
    ("chat.migrations.0024_offline_emails_task", "create_offline_emails_task"),
]


def restore_migration_data() -> None:
    for module, function in MIGRATION_DATA:
        getattr(importlib.import_module(module), function)(django_apps, None)


def is_transactional(item) -> bool:
    """The test commits (pytest-django flushes every table after it): django_db(transaction=True), a live server."""
    marker = item.get_closest_marker("django_db")
    transactional = bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    return transactional or bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


DB_BLOCKER = pytest.StashKey()


@pytest.fixture(scope="session", autouse=True)
def _migration_data_of_a_kept_database(request):
    """A test database kept from an earlier run (--reuse-db: the fast tier) may have been left emptied by the
    flush of its last transactional test: its migration data come back before the first test."""
    if request.config.getoption("reuse_db", False) and not request.config.getoption("create_db", False):
        request.getfixturevalue("django_db_setup")
        with request.getfixturevalue("django_db_blocker").unblock():
            restore_migration_data()
    yield


@pytest.fixture(autouse=True)
def _migration_data(request):
    if is_transactional(request.node):
        request.getfixturevalue("transactional_db")
        restore_migration_data()
        request.node.stash[DB_BLOCKER] = request.getfixturevalue("django_db_blocker")
        yield
        # The flush empties the models' tables, not the database cache's: throttle counters and
        # anything else a transactional test committed there go here, before the flush.
        from django.core.cache import cache

        cache.clear()
        return
    yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """pytest-django runs the tests that commit last, so the flush after each empties the migration data
    only for the next one, which restores them (``_migration_data``). When tests run in another order (a
    file at a time on each worker of ``pytest -n``), a test that does not commit may come next: the rows
    come back here, after the flush."""
    result = yield
    blocker = item.stash.get(DB_BLOCKER, None)
    if blocker is not None and nextitem is not None and not is_transactional(nextitem):
        with blocker.unblock():
            restore_migration_data()
    return result


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the default language (pl), whatever the one before activated."""
    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture
def throttle_rates(settings):
    """Set throttle rates for one test: ``throttle_rates(widget_ip="5/min")`` (read per request)."""

    def set_rates(**rates):
        rest = settings.REST_FRAMEWORK
        settings.REST_FRAMEWORK = {**rest, "DEFAULT_THROTTLE_RATES": {**rest["DEFAULT_THROTTLE_RATES"], **rates}}

    return set_rates


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






@pytest.fixture(scope="session")
def close_connections_threads_left_open(django_db_setup, django_db_blocker):
    """At the end of the run, end the database sessions that threads left open (the async tests' executor threads,
    the in-process servers of the browser tests), so that pytest-django can drop the test database instead of
    warning that "it is being accessed by other users". Torn down before the test database (it depends on it);
    the conftests of the live and browser tests use it."""
    yield
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )

"""Test settings of the SQLite leg: the embedded default that `parley.py start` runs on.

The database is the one config.settings.base builds from a ``sqlite:///`` DATABASE_URL (or, without one,
its embedded default), with the same options as the embedded mode (lock timeout, IMMEDIATE transactions,
WAL), so the services, routing and rules tests see SQLite as `parley.py start` does. The tests run in a
file of their own next to it (``var/test-sqlite.sqlite3``), never in the demo's database.

    DJANGO_SETTINGS_MODULE=config.settings.test_sqlite pytest tests/chat/services   # DATABASE_URL unset or sqlite:///
    python3 parley.py test --sqlite   # the same, as CI runs it (docs/testing.md)
"""

import copy

from django.core.exceptions import ImproperlyConfigured

from . import base
from .test import *  # noqa: F403

if base.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    raise ImproperlyConfigured(
        "config.settings.test_sqlite runs on SQLite: give it a sqlite:/// DATABASE_URL or none "
        "(python3 parley.py test --sqlite does)."
    )

DATABASES = {"default": copy.deepcopy(base.DATABASES["default"])}  # not the live layer's file
DATABASES["default"]["TEST"] = {"NAME": str(base.VAR_DIR / "test-sqlite.sqlite3")}

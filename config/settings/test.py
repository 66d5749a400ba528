"""Test settings: PostgreSQL (DATABASE_URL, default 127.0.0.1:5432) like production."""

import os

from .base import *  # noqa: F403
from .base import VAR_DIR, database_from_url, env_bool
from .live import channel_layer_settings
from .local import DEVELOPMENT_MESSENGER_APP_SECRET, DEVELOPMENT_MESSENGER_VERIFY_TOKEN, DEVELOPMENT_SECRET_KEY

# The public development secrets (refused by production.py), unless the environment gives others.
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
MESSENGER_VERIFY_TOKEN = os.environ.get("MESSENGER_VERIFY_TOKEN") or DEVELOPMENT_MESSENGER_VERIFY_TOKEN
MESSENGER_APP_SECRET = os.environ.get("MESSENGER_APP_SECRET") or DEVELOPMENT_MESSENGER_APP_SECRET

DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley"))}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# E-mails stay in memory (django.core.mail.outbox), in the test process and in the servers it starts.
EMAIL_BACKEND = os.environ.get("TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
MEDIA_ROOT = VAR_DIR / "test-media" / str(os.getpid())
# A server process of the browser tests runs its dispatch in-process, as the eager_dispatch fixture does here.
CELERY_TASK_ALWAYS_EAGER = env_bool("TEST_CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
REST_FRAMEWORK = {**REST_FRAMEWORK}  # noqa: F405
# Rates out of the way of the tests, except those a test process is started with (the tests of
# several web processes set a low one).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    scope: os.environ.get(variable, "100000/min")
    for scope, (variable, _default) in THROTTLE_RATE_VARIABLES.items()  # noqa: F405
}
# The database cache of the test database (created with it) unless a test process is given Redis.
if os.environ.get("TEST_CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "core.cache.RedisCache", "LOCATION": os.environ["TEST_CACHE_URL"]}
    }
else:
    CACHES = {"default": DATABASE_CACHE}  # noqa: F405

# The live layer: one process (consumers and services in the test process) unless a test process is given
# a Redis layer (the browser tests start an ASGI server and publish into it from the test process).
CHANNEL_LAYERS, _live_apps, _live_databases, DATABASE_ROUTERS = channel_layer_settings(
    os.environ.get("TEST_CHANNEL_LAYER_URL", "memory://")
)
INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "channels_lite"] + _live_apps  # noqa: F405
DATABASES.update(_live_databases)

# WhiteNoise looks for STATIC_ROOT at start-up; tests serve from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

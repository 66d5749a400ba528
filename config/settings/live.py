"""The live layer (docs/live.md): which channel layer carries the events between processes.

CHANNEL_LAYER_URL:
- ``redis://…`` / ``rediss://…``: channels-redis, the production layer (every web, worker and beat process
  publishes into it; every ASGI process delivers from it).
- ``memory://``: one process only (the test settings' default: consumers and services in one test process).
- unset: the embedded default of ``parley.py start``: channels-lite, a layer kept in a SQLite file of its own
  (``var/channels.sqlite3``), which web, worker and beat on one machine all reach without a server.
Part of ``config.settings.base``, which adds LIVE_APPS, LIVE_DATABASES and LIVE_DATABASE_ROUTERS to its own.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

from .env import VAR_DIR

REDIS_LAYERS = {
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    "lists": "channels_redis.core.RedisChannelLayer",
}


def channel_layer_settings(url: str) -> tuple[dict, list[str], dict, list[str]]:
    """CHANNEL_LAYERS for ``url``, and the apps, databases and routers that layer needs."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        config = {
            # redis-py 8 gives every read a 5 s socket timeout by default, which is also how long channels-redis
            # blocks in BZPOPMIN waiting for an event: an idle socket's read would time out and end the consumer.
            "hosts": [{"address": url, "socket_timeout": 30, "socket_connect_timeout": 5}],
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "parley"),
            # An event not read within a minute is dropped: the page resyncs when it reconnects.
            "expiry": 60,
            "group_expiry": 86400,
            "capacity": 500,
        }
        backend = REDIS_LAYERS[os.environ.get("CHANNEL_LAYER_REDIS", "pubsub")]
        return {"default": {"BACKEND": backend, "CONFIG": config}}, [], {}, []
    if url == "memory://":
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}, [], {}, []
    if url:
        raise ImproperlyConfigured("CHANNEL_LAYER_URL must be redis://, rediss://, unix://, memory:// or unset.")
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "channels.sqlite3"),
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
    layers = {
        "default": {
            "BACKEND": "channels_lite.layers.core.SQLiteChannelLayer",
            "CONFIG": {"database": "channels", "expiry": 60, "polling_interval": 0.05},
        }
    }
    return layers, ["channels_lite"], {"channels": database}, ["config.db_routers.LiveLayerRouter"]


CHANNEL_LAYER_URL = os.environ.get("CHANNEL_LAYER_URL", "")
CHANNEL_LAYERS, LIVE_APPS, LIVE_DATABASES, LIVE_DATABASE_ROUTERS = channel_layer_settings(CHANNEL_LAYER_URL)

# The inbox page's socket is the agent's heartbeat: it says "still here" this often (seconds).
LIVE_HEARTBEAT_SECONDS = int(os.environ.get("LIVE_HEARTBEAT_SECONDS", "20"))
# Typing indicators: at most one event per chat and side in this many seconds.
LIVE_TYPING_EVERY_SECONDS = 2

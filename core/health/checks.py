"""The readiness checks (docs/operations.md, "Health"), on django-health-check's ``HealthCheck``.

Each check's ``run`` raises ``ServiceUnavailable`` with a short message of its own when the service does not
answer: never the exception's text, which may carry a URL with its password or a DSN. The database check is
the library's; the others are Parley's, for what the library has no check of (migrations, a Celery broker of
any transport, the channel layer, beat) or where its check would run through asgiref's one shared thread
(the cache: its ``aset``/``aget``; this one calls the cache in the check's own thread).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import os
import time
import uuid

from asgiref.sync import ThreadSensitiveContext
from django.conf import settings
from django.core.cache import cache as default_cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from health_check import Database
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable

BEAT_TICK_KEY = "parley:health:beat-tick"

# What a client library's socket waits at most, so that a check's thread ends soon after the deadline
# even when the service accepts a connection and never answers.
CLIENT_TIMEOUT_SECONDS = 1.5


def record_beat_tick(now: float | None = None) -> None:
    """Beat is alive at ``now`` (a Unix time; default: now). Called by beat's scheduler (core.health.beat)."""
    default_cache.set(BEAT_TICK_KEY, time.time() if now is None else now, timeout=None)


def last_beat_tick() -> float | None:
    """When beat last recorded its heartbeat (a Unix time), or None."""
    return default_cache.get(BEAT_TICK_KEY)


def failure_reason(exc: BaseException) -> str:
    """A short, secret-free reason for a client library's connection error (its text may name the URL)."""
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}".lower()
    if isinstance(exc, ConnectionRefusedError) or "refused" in text:
        return "connection refused"
    if isinstance(exc, TimeoutError) or "timed out" in text or "timeout" in text:
        return "timed out"
    if "auth" in text or "password" in text:
        return "authentication failed"
    return f"unreachable ({type(exc).__name__})"


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied to the database (a process of newer code waits for ``migrate``)."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self):
        connection = connections[self.alias]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # noqa: BLE001  (the database's own error text may name the server)
            raise ServiceUnavailable(f"cannot read the applied migrations: {failure_reason(exc)}") from exc
        if plan:
            migration, _backwards = plan[0]
            raise ServiceUnavailable(
                f"{len(plan)} migration(s) not applied, first {migration.app_label}.{migration.name}"
            )


@dataclasses.dataclass
class Broker(HealthCheck):
    """Celery's broker (``CELERY_BROKER_URL``) accepts a connection."""

    url: str = dataclasses.field(default="", repr=False)

    def run(self):
        from kombu import Connection  # noqa: PLC0415  (kombu comes with Celery; only this check needs it here)

        url = self.url or settings.CELERY_BROKER_URL
        if url.startswith("filesystem://"):
            return self.check_folders()
        options = {
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "socket_timeout": CLIENT_TIMEOUT_SECONDS,
            "socket_connect_timeout": CLIENT_TIMEOUT_SECONDS,
        }
        connection = Connection(url, connect_timeout=CLIENT_TIMEOUT_SECONDS, transport_options=options)
        try:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=CLIENT_TIMEOUT_SECONDS
            )
            connection.default_channel  # noqa: B018  (Redis: the first command, which a silent server never answers)
        except Exception as exc:  # noqa: BLE001  (kombu's errors carry the broker's URL)
            raise ServiceUnavailable(failure_reason(exc)) from exc
        finally:
            connection.release()

    @staticmethod
    def check_folders():
        """The embedded broker (kombu's filesystem transport): its folders exist and can be written."""
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "processed_folder"):
            folder = options.get(key)
            if folder and not os.access(folder, os.W_OK | os.X_OK):
                raise ServiceUnavailable(f"the embedded broker's folder {key} cannot be written")


@dataclasses.dataclass
class ChannelLayer(HealthCheck):
    """The channel layer (``CHANNEL_LAYER_URL``) answers: Redis answers a PING; the embedded layer (channels-lite)
    carries a message to a private channel and back; the in-memory layer (one process) always answers."""

    alias: str = "default"

    def run(self):
        layer_settings = settings.CHANNEL_LAYERS.get(self.alias)
        if layer_settings is None:
            raise ServiceUnavailable("no channel layer configured")
        backend = layer_settings["BACKEND"]
        if backend.startswith("channels_redis."):
            return self.ping_redis(layer_settings["CONFIG"]["hosts"])
        if backend == "channels.layers.InMemoryChannelLayer":
            return None
        try:
            asyncio.run(asyncio.wait_for(self.round_trip(), CLIENT_TIMEOUT_SECONDS))
        except ServiceUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable(f"a message did not go through: {failure_reason(exc)}") from exc

    @staticmethod
    def ping_redis(hosts):
        import redis  # noqa: PLC0415

        for host in hosts:
            address = host["address"] if isinstance(host, dict) else host
            if isinstance(address, (tuple, list)):
                client = redis.Redis(host=address[0], port=address[1], socket_timeout=CLIENT_TIMEOUT_SECONDS,
                                     socket_connect_timeout=CLIENT_TIMEOUT_SECONDS)
            else:
                client = redis.Redis.from_url(address, socket_timeout=CLIENT_TIMEOUT_SECONDS,
                                              socket_connect_timeout=CLIENT_TIMEOUT_SECONDS)
            try:
                client.ping()
            except Exception as exc:  # noqa: BLE001  (redis-py's errors name the server)
                raise ServiceUnavailable(failure_reason(exc)) from exc
            finally:
                client.close()

    async def round_trip(self):
        from channels.layers import channel_layers  # noqa: PLC0415

        # A layer of this thread's own event loop; its database calls run in a thread of this context, not in
        # asgiref's one process-wide thread (which a locked SQLite file would hold for its 30 s timeout).
        async with ThreadSensitiveContext():
            layer = channel_layers.make_backend(self.alias)
            try:
                channel = await layer.new_channel("health")
                payload = uuid.uuid4().hex
                await layer.send(channel, {"type": "health.ping", "payload": payload})
                message = await layer.receive(channel)
            finally:
                await layer.close()
        if message.get("payload") != payload:
            raise ServiceUnavailable("the channel layer gave back another message")


@dataclasses.dataclass
class Cache(HealthCheck):
    """The default cache stores a value and gives it back."""

    def run(self):
        key = f"parley:health:probe:{uuid.uuid4().hex}"
        try:
            default_cache.set(key, key, timeout=30)
            value = default_cache.get(key)
            default_cache.delete(key)
        except Exception as exc:  # noqa: BLE001  (Redis errors name the server)
            raise ServiceUnavailable(failure_reason(exc)) from exc
        if value != key:
            raise ServiceUnavailable("the cache did not give the value back")


@dataclasses.dataclass
class Beat(HealthCheck):
    """Celery beat recorded its heartbeat (core.health.beat) less than ``HEALTH_BEAT_MAX_AGE_SECONDS`` ago."""

    def run(self):
        max_age = settings.HEALTH_BEAT_MAX_AGE_SECONDS
        try:
            tick = last_beat_tick()
        except Exception as exc:  # noqa: BLE001
            raise ServiceUnavailable(f"cannot read beat's heartbeat: {failure_reason(exc)}") from exc
        if tick is None:
            raise ServiceUnavailable("beat has recorded no tick (is `celery -A config beat` running?)")
        age = time.time() - float(tick)
        if age > max_age:
            raise ServiceUnavailable(f"last tick {age:.0f} s ago (max {max_age} s)")


def readiness_checks() -> dict[str, HealthCheck]:
    """The checks of ``/health/ready`` by name, in the order they are shown."""
    timeout = datetime.timedelta(seconds=settings.HEALTH_CHECK_TIMEOUT_SECONDS)
    checks: dict[str, HealthCheck] = {
        "database": Database(alias=DEFAULT_DB_ALIAS),
        "migrations": Migrations(),
        "broker": Broker(),
        "channel_layer": ChannelLayer(),
        "cache": Cache(),
    }
    if settings.HEALTH_BEAT_MAX_AGE_SECONDS > 0:
        checks["beat"] = Beat()
    for check in checks.values():
        check.timeout = timeout
    return checks

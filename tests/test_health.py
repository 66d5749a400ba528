"""``/health/live`` and ``/health/ready`` (issue 16, point 1; docs/operations.md, "Health"): one entry per check,
200 or 503, no secret in the answer, and an answer within the deadline when a service hangs.

The services are real: PostgreSQL, and Redis (database ``TEST_HEALTH_REDIS_URL``, 11 by default) as the broker,
the cache and the channel layer, as in production. A service that refuses is a closed port; one that hangs is a
socket server here that accepts and never answers.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import current_app
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from health_check.exceptions import ServiceUnavailable

from config.settings.live import channel_layer_settings
from core.health import probe
from core.health.beat import HeartbeatScheduler
from core.health.checks import Migrations, last_beat_tick, record_beat_tick

REDIS_URL = os.environ.get("TEST_HEALTH_REDIS_URL", "redis://127.0.0.1:6379/11")
CHECKS = ["database", "migrations", "broker", "channel_layer", "cache", "beat"]
PASSWORD = "pa55-w0rd-never-shown"


def use_services(settings, *, broker=REDIS_URL, cache_url=REDIS_URL, layer=REDIS_URL) -> None:
    settings.CELERY_BROKER_URL = broker
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    settings.CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": cache_url}}
    settings.CHANNEL_LAYERS = channel_layer_settings(layer)[0]


@pytest.fixture
def redis_services(settings):
    use_services(settings)
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_probe_left_running():
    """A check left hanging by a test ends (its server closed) before the next test probes again."""
    yield
    for thread in list(probe._in_flight.values()):
        thread.join(timeout=10)


@pytest.fixture
def silent_server():
    """A TCP server that accepts every connection and never answers; closed (with its connections) at the end."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []

    def accept():
        while True:
            try:
                accepted.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1]
    server.close()
    for peer in accepted:
        peer.close()


def ready(client):
    started = time.monotonic()
    response = client.get("/health/ready")
    return response, time.monotonic() - started


@pytest.mark.parametrize("path", ["/health/live", "/health/live/"])
def test_live_answers_without_touching_any_service(client, settings, path):
    # No database access is allowed in this test (no db fixture): the answer needs none. Nor a known host, nor HTTPS.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


@pytest.mark.parametrize("path", ["/health/ready", "/health/ready/"])
def test_ready_when_every_service_answers(client, db, redis_services, path):
    record_beat_tick()
    response = client.get(path, HTTP_HOST="10.1.2.3:8000")  # a probe calls the instance by its address
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == CHECKS
    assert all(check["ok"] and isinstance(check["ms"], int) for check in body["checks"].values()), body
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


@pytest.mark.asyncio
async def test_ready_under_the_asgi_server(async_client, db, redis_services):
    """The middleware's async path (uvicorn): the checks run off the event loop."""
    await record_beat_tick_async()
    response = await async_client.get("/health/ready")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ok"
    assert (await async_client.get("/health/live/")).json() == {"status": "ok"}


async def record_beat_tick_async():
    from asgiref.sync import sync_to_async

    await sync_to_async(record_beat_tick)()


def test_ready_refuses_other_methods(client, db):
    assert client.post("/health/ready").status_code == 405
    assert client.post("/health/live").status_code == 405


def test_a_broker_that_refuses_fails_readiness_by_name_and_shows_no_password(client, db, settings, redis_services):
    record_beat_tick()
    settings.CELERY_BROKER_URL = f"redis://parley:{PASSWORD}@127.0.0.1:1/0"
    response, elapsed = ready(client)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    broker = body["checks"]["broker"]
    assert broker == {"ok": False, "ms": broker["ms"], "error": "connection refused"}
    assert [name for name, check in body["checks"].items() if not check["ok"]] == ["broker"]
    assert PASSWORD not in response.content.decode()
    assert elapsed < 3


def test_no_secret_in_the_answer_when_every_service_fails(client, db, settings, caplog):
    """Every URL carries a password, every service refuses: the answer names the checks, never a URL or password."""
    secret_url = f"redis://parley:{PASSWORD}@127.0.0.1:1/0"
    use_services(settings, broker=secret_url, cache_url=secret_url, layer=secret_url)
    response, _elapsed = ready(client)
    assert response.status_code == 503
    text = response.content.decode()
    assert PASSWORD not in text and "redis://" not in text and "127.0.0.1" not in text
    failing = {name for name, check in response.json()["checks"].items() if not check["ok"]}
    assert failing == {"broker", "cache", "channel_layer", "beat"}
    assert PASSWORD not in caplog.text  # the warning line of the failing checks neither


def test_a_hanging_service_answers_as_failed_within_the_deadline(client, db, settings, silent_server):
    """Broker, cache and channel layer accept connections and never answer: the answer still comes within ~2 s,
    the checks named as failed, and the next probe does not start another thread on the hanging cache."""
    silent = f"redis://127.0.0.1:{silent_server}/0"
    use_services(settings, broker=silent, cache_url=silent, layer=silent)
    response, elapsed = ready(client)
    assert elapsed < 3, elapsed  # the deadline is 2 s: a generous margin, this is behaviour, not a benchmark
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"]
    assert {name for name, check in checks.items() if not check["ok"]} == {"broker", "cache", "channel_layer", "beat"}
    # Django's Redis cache has no socket timeout of its own: that check is still hanging when the deadline comes.
    assert checks["cache"]["error"] == "no answer within 2 s"
    assert checks["broker"]["error"] in {"timed out", "no answer within 2 s"}

    response, elapsed = ready(client)
    assert elapsed < 3, elapsed
    assert response.json()["checks"]["cache"]["error"] == "the previous probe of this check has not answered yet"


def test_beat_silent_for_too_long_fails_readiness(client, db, settings, redis_services):
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 120
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        record_beat_tick()
    with time_machine.travel(start + timedelta(seconds=119), tick=False):
        assert client.get("/health/ready").status_code == 200
    with time_machine.travel(start + timedelta(seconds=340), tick=False):
        response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"] == {"ok": False, "ms": response.json()["checks"]["beat"]["ms"],
                                                 "error": "last tick 340 s ago (max 120 s)"}


def test_beat_never_ticked_fails_readiness_unless_the_check_is_off(client, db, settings, redis_services):
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert "no tick" in response.json()["checks"]["beat"]["error"]
    settings.HEALTH_BEAT_MAX_AGE_SECONDS = 0
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert "beat" not in response.json()["checks"]


def test_beat_scheduler_records_its_heartbeat(transactional_db, settings, redis_services):
    """A real scheduler's loop (it closes the database connection between passes: a test that commits)."""
    settings.CELERY_BROKER_URL = "memory://"
    assert last_beat_tick() is None
    scheduler = HeartbeatScheduler(app=current_app)
    scheduler.tick()
    assert time.time() - last_beat_tick() < 5


def test_migrations_check_names_the_first_one_not_applied(db):
    Migrations().run()
    app_label, name = MigrationLoader(connection).graph.leaf_nodes("chat")[0]
    MigrationRecorder(connection).record_unapplied(app_label, name)  # undone with the test's transaction
    with pytest.raises(ServiceUnavailable) as failure:
        Migrations().run()
    assert failure.value.message == f"1 migration(s) not applied, first chat.{name}"



def test_the_embedded_broker_needs_its_folders(client, db, settings, redis_services, tmp_path):
    """``filesystem://`` (parley.py start): the broker is its folders under var/broker/."""
    record_beat_tick()
    folders = {key: tmp_path / key for key in ("data_folder_in", "data_folder_out", "processed_folder")}
    for folder in folders.values():
        folder.mkdir()
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {key: str(folder) for key, folder in folders.items()}
    assert client.get("/health/ready").status_code == 200
    folders["processed_folder"].rmdir()
    response = client.get("/health/ready")
    assert response.status_code == 503
    error = response.json()["checks"]["broker"]["error"]
    assert error == "the embedded broker's folder processed_folder cannot be written"

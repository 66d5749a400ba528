"""/metrics (docs/operations.md, "Metrics"): who may read it, and what a scrape shows after a chat's life — the
event counters moved, the queues' and the agents' figures read from the database, requests labelled by view."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from agents.models import PauseType
from chat.models import Chat
from chat.services.chats import chat_close, chat_transfer
from chat.services.messages import message_post
from chat.services.queues import queue_create
from chat.services.rules import rule_run
from core.health.checks import record_beat_tick

TOKEN = "metrics-test-token-" + "x" * 32


@pytest.fixture
def metrics_on(settings):
    settings.PARLEY_METRICS_TOKEN = TOKEN
    settings.PARLEY_METRICS_ALLOWED_IPS = []
    settings.PARLEY_TRUSTED_PROXIES = 0
    return settings


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# --- Access -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_nobody_reads_metrics_when_neither_a_token_nor_addresses_are_set(client, settings):
    settings.PARLEY_METRICS_TOKEN = ""
    settings.PARLEY_METRICS_ALLOWED_IPS = []
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404


@pytest.mark.django_db
def test_a_missing_or_wrong_token_is_refused_and_the_right_one_reads(client, metrics_on):
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Token {TOKEN}").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}x").status_code == 403
    answer = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert answer.status_code == 200
    assert b"parley_chats_waiting" in answer.content
    assert "no-cache" in answer["Cache-Control"]
    assert "Set-Cookie" not in answer  # no session, no CSRF cookie: answered before those middlewares
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@pytest.mark.django_db
def test_an_allowed_address_reads_without_a_token_and_a_forged_forwarded_for_does_not_open_it(client, metrics_on):
    metrics_on.PARLEY_METRICS_ALLOWED_IPS = ["10.1.0.0/16", "192.0.2.7"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    # No trusted proxy: a client writing an allowed address into X-Forwarded-For stays outside...
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.1.2.3").status_code == 403
    # ... and so does whatever an unconfigured proxy on an allowed address passes on (nginx on 10.1.0.1).
    assert client.get("/metrics", REMOTE_ADDR="10.1.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    # One trusted proxy: the address it appended counts, never what the client wrote to its left.
    metrics_on.PARLEY_TRUSTED_PROXIES = 1
    assert client.get(
        "/metrics", REMOTE_ADDR="10.1.0.1", HTTP_X_FORWARDED_FOR="10.1.2.3, 203.0.113.9"
    ).status_code == 403
    assert client.get(
        "/metrics", REMOTE_ADDR="10.1.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.1.2.3"
    ).status_code == 200
    # The token still opens it from anywhere.
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


# --- A chat's life ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_scrape_after_a_chats_life_sees_the_counters_move_and_the_floor(
    client, metrics_on, agent_factory, django_capture_on_commit_callbacks
):
    metrics_on.CELERY_TASK_ALWAYS_EAGER = True  # dispatch runs in this process, after each commit
    sales, support = queue_create(name="Sales"), queue_create(name="Support")
    anna = agent_factory(queue=sales, username="anna")
    bob = agent_factory(queue=sales, username="bob", logged_in=False)
    agent_factory(queue=support, username="cecile", pause_type=PauseType.objects.create(name="Lunch"))
    before = scrape(client)

    # A visitor starts a chat on the widget: dispatch gives it to Anna, the only agent logged in.
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post("/widget/v1/chats/", {"visitor_key": "metrics-visitor-1", "queue": sales.pk},
                              content_type="application/json")
    assert started.status_code == 201, started.content
    chat_id, visitor_token = started.json()["chat"]["id"], started.json()["token"]
    assert Chat.objects.get(pk=chat_id).agent_id == anna.pk
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(f"/widget/v1/chats/{chat_id}/messages/", {"body": "Hello?"},
                             content_type="application/json", HTTP_X_VISITOR_TOKEN=visitor_token)
    assert posted.status_code == 201, posted.content
    # Anna answers, then hands the chat to Bob, who closes it.
    with django_capture_on_commit_callbacks(execute=True):
        message_post(chat_id=chat_id, sender="agent", body="Hi, how can I help?", author=anna)
    bob.presence.logged_in = True
    bob.presence.save()
    with django_capture_on_commit_callbacks(execute=True):
        chat_transfer(chat_id=chat_id, to_agent_id=bob.pk, actor=anna)
    with django_capture_on_commit_callbacks(execute=True):
        chat_close(chat_id=chat_id, reason=Chat.CloseReason.AGENT, actor=bob)
    # Another visitor waits in Support (its only agent is paused) for ten minutes; a timed rule runs.
    with django_capture_on_commit_callbacks(execute=True):
        waiting = client.post("/widget/v1/chats/", {"visitor_key": "metrics-visitor-2", "queue": support.pk},
                              content_type="application/json")
    assert waiting.status_code == 201
    rule_run("stop_auto_assign")
    record_beat_tick(timezone.now().timestamp() - 30)

    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        after = scrape(client)

    def moved(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # Counters: one assignment by dispatch's deciding strategy, one manual (the transfer), one transfer, one close.
    by_strategy = {dict(labels)["strategy"]: after[(name, labels)] - before.get((name, labels), 0)
                   for (name, labels) in after if name == "parley_assignments_total"}
    assert by_strategy.pop("manual") == 1
    assert sum(by_strategy.values()) == 1 and set(by_strategy) <= {
        "only_eligible", "owner", "queue_priority", "last_agent", "fewest_open_chats", "longest_unassigned", "lowest_id"
    }
    assert moved("parley_transfers_total", reason="manual") == 1
    assert moved("parley_closes_total", reason="agent") == 1
    assert moved("parley_dispatch_duration_seconds_count") >= 1
    assert moved("parley_rule_duration_seconds_count", rule="stop_auto_assign") == 1
    assert ("parley_rule_rows_total", (("rule", "stop_auto_assign"),)) in after
    # The floor, from the database: Support's chat waits (ten minutes), Sales is empty; agents by state.
    assert value(after, "parley_chats_waiting", queue="Support") == 1
    assert value(after, "parley_chats_waiting", queue="Sales") == 0
    assert 600 <= value(after, "parley_queue_oldest_wait_seconds", queue="Support") < 660
    assert value(after, "parley_queue_oldest_wait_seconds", queue="Sales") == 0
    assert value(after, "parley_agents", state="available") == 2
    assert value(after, "parley_agents", state="paused") == 1
    assert value(after, "parley_agents", state="logged_out") == 0
    assert value(after, "parley_messenger_deliveries", state="failed") == 0
    assert 600 <= value(after, "parley_beat_last_tick_age_seconds") < 700
    assert value(after, "parley_metrics_collector_up", collector="chat") == 1
    # Requests by view name, never by path.
    assert moved("parley_http_requests_total", view="widget:chat-start", method="POST", status="201") == 2
    assert moved("parley_http_requests_total", view="widget:messages", method="POST", status="201") == 1
    assert moved("parley_http_request_duration_seconds_count", view="widget:chat-start") == 2
    views = {dict(labels).get("view") for (name, labels) in after if name == "parley_http_requests_total"}
    assert not any(str(chat_id) in view for view in views), views


@pytest.mark.django_db
def test_agents_in_every_state(client, metrics_on, agent_factory, chat_settings):
    queue = queue_create(name="Sales")
    agent_factory(queue=queue, logged_in=False)
    agent_factory(queue=queue, on_phone_call=True)
    full = agent_factory(queue=queue)
    full.presence.open_chats = chat_settings.max_concurrent_chats
    full.presence.save()
    agent_factory(queue=queue, is_active=False)  # no longer an agent: not counted
    samples = scrape(client)
    assert {state: value(samples, "parley_agents", state=state) for state in
            ("logged_out", "available", "paused", "on_phone_call", "full")} == {
        "logged_out": 1, "available": 0, "paused": 0, "on_phone_call": 1, "full": 1}


@pytest.mark.django_db(transaction=True)
def test_the_last_readiness_probe_shows_as_parley_ready(client, metrics_on):
    metrics_on.HEALTH_BEAT_MAX_AGE_SECONDS = 60
    record_beat_tick(timezone.now().timestamp() - 600)  # beat silent for ten minutes: not ready
    assert client.get("/health/ready").status_code == 503
    assert value(scrape(client), "parley_ready") == 0
    record_beat_tick()
    probe = client.get("/health/ready")
    assert value(scrape(client), "parley_ready") == (1 if probe.status_code == 200 else 0)

"""Structured logs (docs/operations.md, "Logs"): the format each settings module gives, the request id and the ids
on a request's lines, what is redacted, and what a task takes from the request that queued it.
tests/test_logs_full_run.py runs the whole thing with real processes."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest
import structlog

from chat.messenger.tasks import messenger_send_reply
from chat.models import Chat
from config.settings.logs import logging_settings
from core.logs import REDACTED, bind_task_arguments, keep_request_context, redact, redact_text
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture
def json_log():
    """Every line logged during the test, rendered by production's formatter at DEBUG and parsed back."""
    formatter_config = dict(logging_settings("json", "DEBUG")["formatters"]["structlog"])
    logging.captureWarnings(False)  # logging_settings("json") turned it on for this process
    assert formatter_config.pop("()") == "structlog.stdlib.ProcessorFormatter"
    formatter = structlog.stdlib.ProcessorFormatter(**formatter_config)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    structlog.contextvars.clear_contextvars()
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        structlog.contextvars.clear_contextvars()


def finished(lines: list[dict]) -> dict:
    (line,) = [line for line in lines if line["event"] == "request_finished"]
    return line


# --- formats -------------------------------------------------------------------------------------------------


def log_in_a_process(settings_module: str, **env: str) -> str:
    """What a process with ``settings_module`` writes when Django, a Parley module and structlog log a line."""
    code = (
        "import django, logging, structlog; django.setup();"
        "logging.getLogger('chat.services.example').warning('chat %s closed', 7);"
        "structlog.get_logger('chat.example').info('chat_closed', chat_id=7, visitor_token='vt-secret');"
        "logging.getLogger('django.request').error('Internal Server Error: /inbox/files/dl-secret/')"
    )
    environment = {
        "PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": settings_module, "PARLEY_VAR_DIR": str(ROOT / "var"),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/parley_logs_unused", **env,
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_production_settings_write_one_json_object_per_line():
    output = log_in_a_process(
        "config.settings.production", SECRET_KEY="a-production-secret-" + "x" * 40,
        CELERY_BROKER_URL="redis://127.0.0.1:6379/8", CHANNEL_LAYER_URL="redis://127.0.0.1:6379/8",
        MESSENGER_ENABLED="false", DEFAULT_FROM_EMAIL="Example Support <support@example.com>",
    )
    lines = [json.loads(line) for line in output.splitlines()]  # every line is JSON
    by_logger = {line["logger"]: line for line in lines}
    assert by_logger["chat.services.example"] | {"timestamp": "…"} == {
        "timestamp": "…", "level": "warning", "logger": "chat.services.example", "event": "chat 7 closed",
    }
    assert by_logger["chat.example"]["chat_id"] == 7
    assert by_logger["chat.example"]["visitor_token"] == REDACTED
    assert by_logger["django.request"]["event"] == "Internal Server Error: /inbox/files/[redacted]/"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z", lines[0]["timestamp"])  # ISO 8601, UTC
    assert "vt-secret" not in output and "dl-secret" not in output


def test_development_settings_write_readable_lines():
    output = log_in_a_process("config.settings.local")
    line = next(line for line in output.splitlines() if "chat 7 closed" in line)
    assert re.match(r"^\d{4}-\d\d-\d\dT[\d:.]+Z \[warning\s*\] chat 7 closed\s+\[chat\.services\.example\]$", line)
    assert "\x1b[" not in output  # no colours outside a terminal
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "visitor_token=[redacted]" in output and "vt-secret" not in output


def test_an_unknown_log_format_is_refused():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="LOG_FORMAT"):
        logging_settings("xml", "INFO")


# --- redaction ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", f"Authorization: Token {REDACTED}"),
        ("bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", f"bearer {REDACTED}"),
        ("GET /inbox/files/Zx-3_kq9aB/ 200", f"GET /inbox/files/{REDACTED}/ 200"),
        ("GET /webhooks/messenger?hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=42",
         f"GET /webhooks/messenger?hub.mode=subscribe&hub.verify_token={REDACTED}&hub.challenge=42"),
        ("GET /inbox/search/?q=my+card+number&page=2", f"GET /inbox/search/?q={REDACTED}&page=2"),
        ("GET /inbox/live/?v=3&t=abc.def", f"GET /inbox/live/?v=3&t={REDACTED}"),
        ("Cookie: sessionid=abc123; csrftoken=def456", f"Cookie: sessionid={REDACTED}; csrftoken={REDACTED}"),
        ("CSRF token missing.", "CSRF token missing."),  # words, not a credential
    ],
)
def test_values_that_look_like_secrets_are_masked(text, expected):
    assert redact_text(text) == expected


def test_keys_that_name_secrets_or_texts_are_masked_whatever_they_hold():
    event = redact(None, "info", {
        "event": "reply", "chat_id": 3, "password": "hunter2", "visitor_token": "vt", "HTTP_AUTHORIZATION": "x",
        "body": "Hello", "text": "Hi", "message_body": "Hey", "session_cookie": "c", "api_key": "k",
        "extra": {"token": "nested", "count": 2},
    })
    assert event == {
        "event": "reply", "chat_id": 3, "password": REDACTED, "visitor_token": REDACTED,
        "HTTP_AUTHORIZATION": REDACTED, "body": REDACTED, "text": REDACTED, "message_body": REDACTED,
        "session_cookie": REDACTED, "api_key": REDACTED, "extra": {"token": REDACTED, "count": 2},
    }


# --- requests ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_s_lines_share_its_id_which_the_response_names(client, json_log, settings):
    settings.PARLEY_TRUSTED_PROXIES = 0
    response = client.get("/inbox/login/", HTTP_X_REQUEST_ID="chosen-by-the-client-1234")

    request_id = response["X-Request-ID"]
    assert UUID.match(request_id)  # a client's own id is not taken without a proxy in front
    lines = json_log()
    assert [line["event"] for line in lines if line["logger"].startswith("django_structlog")] == [
        "request_started", "request_finished",
    ]
    assert {line["request_id"] for line in lines if "request" in line} == {request_id}
    assert (finished(lines)["code"], finished(lines)["request"]) == (200, "GET /inbox/login/")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("incoming", "kept"),
    [("5f0c6a1e2b3d4c5e6f708192a3b4c5d6", True), ("a" * 200, False), ("two words", False), ("x\nforged", False)],
)
def test_a_trusted_proxy_s_request_id_is_kept_when_it_looks_like_one(client, json_log, settings, incoming, kept):
    settings.PARLEY_TRUSTED_PROXIES = 1
    response = client.get("/inbox/login/", HTTP_X_REQUEST_ID=incoming)
    assert (response["X-Request-ID"] == incoming) is kept
    assert UUID.match(response["X-Request-ID"]) or kept
    assert finished(json_log())["request_id"] == response["X-Request-ID"]


@pytest.mark.django_db
def test_an_agent_s_request_names_the_agent_and_the_chat(client, json_log, queue_with_chat):
    chat, agent = queue_with_chat
    client.force_login(agent)
    response = client.get(f"/inbox/chats/{chat.pk}/poll/")
    assert response.status_code == 200
    line = finished(json_log())
    assert (line["agent_id"], line["chat_id"], line["request_id"]) == (agent.pk, chat.pk, response["X-Request-ID"])


@pytest.mark.django_db
def test_an_api_call_with_a_token_names_its_agent_and_hides_the_token(client, json_log):
    from tests.test_logs_full_run import api_token_for

    staff = factories.AdminFactory(username="pbx")
    token = api_token_for(staff)
    queue = factories.QueueFactory()
    response = client.get(f"/api/v1/queues/{queue.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    lines = json_log()
    assert finished(lines)["agent_id"] == staff.pk
    assert finished(lines)["queue_id"] == queue.pk
    assert token not in json.dumps(lines)


@pytest.mark.django_db
def test_a_download_link_s_token_is_not_logged(client, json_log, queue_with_chat):
    chat, agent = queue_with_chat
    client.force_login(agent)
    client.get("/inbox/files/a-secret-download-token/")
    lines = json_log()
    assert finished(lines)["request"] == f"GET /inbox/files/{REDACTED}/"
    assert "a-secret-download-token" not in json.dumps(lines)


@pytest.mark.django_db
def test_the_webhook_s_verify_token_is_not_logged(client, json_log, settings):
    settings.MESSENGER_VERIFY_TOKEN = "the-verify-token"
    response = client.get("/webhooks/messenger", {"hub.mode": "subscribe", "hub.verify_token": "the-verify-token",
                                                  "hub.challenge": "42"})
    assert response.status_code == 200
    assert "the-verify-token" not in json.dumps(json_log())


@pytest.fixture
def queue_with_chat(db):
    queue = factories.QueueFactory()
    agent = factories.UserFactory()
    factories.PresenceFactory(agent=agent, logged_in=True)
    factories.MembershipFactory(agent=agent, queue=queue)
    chat = factories.ChatFactory(queue=queue, agent=agent, status=Chat.Status.ASSIGNED)
    return chat, agent


# --- tasks ---------------------------------------------------------------------------------------------------


def test_only_the_request_id_travels_into_a_task():
    context = {"request_id": "r-1", "chat_id": 4, "agent_id": 2, "queue_id": 1, "ip": "10.0.0.1",
               "parent_task_id": "t-0"}
    keep_request_context(context=context)
    assert context == {"request_id": "r-1", "parent_task_id": "t-0"}


def test_a_task_names_the_ids_among_its_arguments():
    structlog.contextvars.clear_contextvars()
    messenger_send_reply.push_request(args=(42,), kwargs={})
    try:
        bind_task_arguments(task=messenger_send_reply)
    finally:
        messenger_send_reply.pop_request()
    assert structlog.contextvars.get_contextvars() == {"message_id": 42}
    structlog.contextvars.clear_contextvars()

"""Production defaults, checked in real processes with a controlled environment: the production
settings refuse public or missing secrets, ``config.wsgi`` / ``config.asgi`` / ``config.celery``
default to them, gunicorn started without DJANGO_SETTINGS_MODULE refuses a webhook signed with the
old development secret, and ``manage.py check --deploy`` is silent with a realistic environment."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from chat.models import Chat, Message
from chat.services.chats import chat_start
from tests import factories

# Every test here starts Python, manage.py or gunicorn in processes of their own: the slow tier.
pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
GOOD = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "MESSENGER_APP_SECRET": secrets.token_hex(16),
    "MESSENGER_VERIFY_TOKEN": secrets.token_urlsafe(24),
    "DEFAULT_FROM_EMAIL": "Example Support <support@example.com>",
}
# Variables this module sets itself; whatever the developer's shell exports is left out.
CONTROLLED = ("DJANGO_", "SECRET_KEY", "DATABASE_", "CELERY_", "CHANNEL_", "MESSENGER_", "SECURE_", "DEBUG",
              "ALLOWED_HOSTS", "PARLEY_METRICS_", "PROMETHEUS_", "DEFAULT_FROM_EMAIL", "EMAIL_")


def production_env(**overrides: str | None) -> dict[str, str]:
    """A realistic production environment (no DJANGO_SETTINGS_MODULE unless given); None removes a variable."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(CONTROLLED)}
    env.update(GOOD)
    env.update(
        {
            "DATABASE_URL": "postgres://parley@db.internal:5432/parley",
            "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
            "CHANNEL_LAYER_URL": "redis://redis.internal:6379/1",
            "ALLOWED_HOSTS": "chat.example.com",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False)


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "manage.py", *args], env)


def python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return run([sys.executable, "-c", code], env)


# --- point 1: no public or missing secret in production -------------------------------------------------------


def test_production_refuses_to_start_without_the_secrets_and_names_each():
    result = manage(
        "check",
        env=production_env(
            DJANGO_SETTINGS_MODULE="config.settings.production",
            SECRET_KEY=None,
            MESSENGER_APP_SECRET=None,
            MESSENGER_VERIFY_TOKEN="",
        ),
    )
    assert result.returncode != 0
    assert "config.settings.production refuses to start" in result.stderr
    for name in ("SECRET_KEY", "MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN"):
        assert f"{name} must be set in production" in result.stderr
    assert "MESSENGER_ENABLED=false" in result.stderr


@pytest.mark.parametrize(("value", "says"), [(None, "CHANNEL_LAYER_URL must be set in production"),
                                             ("memory://", "CHANNEL_LAYER_URL must be a redis://")])
def test_production_refuses_a_channel_layer_that_does_not_reach_every_process(value, says):
    result = manage("check", env=production_env(DJANGO_SETTINGS_MODULE="config.settings.production",
                                                CHANNEL_LAYER_URL=value))
    assert result.returncode != 0
    assert says in result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("DEFAULT_FROM_EMAIL", None, "DEFAULT_FROM_EMAIL must be set in production"),
        ("DEFAULT_FROM_EMAIL", "Parley <parley@localhost>", "DEFAULT_FROM_EMAIL 'Parley <parley@localhost>' is not"),
        ("DEFAULT_FROM_EMAIL", "support", "DEFAULT_FROM_EMAIL 'support' is not an e-mail address of your domain"),
        ("EMAIL_REPLY_TO", "helpdesk", "EMAIL_REPLY_TO 'helpdesk' is not an e-mail address of your domain"),
    ],
)
def test_production_refuses_to_send_visitors_e_mail_from_no_real_address(variable, value, says):
    """Issue 17: visitors get the offline messages' acknowledgements and replies from DEFAULT_FROM_EMAIL."""
    result = manage("check", env=production_env(DJANGO_SETTINGS_MODULE="config.settings.production",
                                                **{variable: value}))
    assert result.returncode != 0
    assert says in result.stderr


def test_production_refuses_a_weak_metrics_token_and_metrics_without_their_multi_process_directory(tmp_path):
    production = {"DJANGO_SETTINGS_MODULE": "config.settings.production"}
    weak = manage("check", env=production_env(**production, PARLEY_METRICS_TOKEN="short-token"))
    assert weak.returncode != 0
    assert "PARLEY_METRICS_TOKEN must be at least 32 characters long" in weak.stderr
    assert "PROMETHEUS_MULTIPROC_DIR must be set" in weak.stderr
    by_address = manage("check", env=production_env(**production, PARLEY_METRICS_ALLOWED_IPS="10.0.0.0/8"))
    assert by_address.returncode != 0 and "PROMETHEUS_MULTIPROC_DIR must be set" in by_address.stderr
    good = manage("check", env=production_env(**production, PARLEY_METRICS_TOKEN=secrets.token_urlsafe(32),
                                              PROMETHEUS_MULTIPROC_DIR=str(tmp_path)))
    assert good.returncode == 0, good.stderr
    wrong_network = manage("check", env=production_env(**production, PARLEY_METRICS_ALLOWED_IPS="10.0.0.0/8, intranet",
                                                       PROMETHEUS_MULTIPROC_DIR=str(tmp_path)))
    assert wrong_network.returncode != 0
    assert "PARLEY_METRICS_ALLOWED_IPS: 'intranet' is not an address or a network" in wrong_network.stderr


def test_production_refuses_the_public_development_values_of_local_settings():
    from config.settings import local

    public = {
        "SECRET_KEY": local.DEVELOPMENT_SECRET_KEY,
        "MESSENGER_APP_SECRET": local.DEVELOPMENT_MESSENGER_APP_SECRET,
        "MESSENGER_VERIFY_TOKEN": local.DEVELOPMENT_MESSENGER_VERIFY_TOKEN,
    }
    result = manage("check", env=production_env(DJANGO_SETTINGS_MODULE="config.settings.production", **public))
    assert result.returncode != 0
    for name in public:
        assert f"{name} is the public development value" in result.stderr
    assert "sign forged webhook events" in result.stderr


def test_base_settings_hold_no_default_secret():
    result = python(
        "from config.settings import base; print(repr((base.SECRET_KEY, base.MESSENGER_APP_SECRET,"
        " base.MESSENGER_VERIFY_TOKEN)))",
        production_env(SECRET_KEY=None, MESSENGER_APP_SECRET=None, MESSENGER_VERIFY_TOKEN=None),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "('', '', '')"


def test_messenger_disabled_starts_without_its_secrets_and_serves_no_webhook():
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().post('/webhooks/messenger', data=b'{}', content_type='application/json',"
        " secure=True, HTTP_HOST='chat.example.com')\n"
        "print(r.status_code)\n"
    )
    env = production_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        MESSENGER_ENABLED="false",
        MESSENGER_APP_SECRET=None,
        MESSENGER_VERIFY_TOKEN=None,
    )
    result = python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "404"
    assert "MESSENGER_ENABLED is false: the Messenger webhook (/webhooks/messenger) is not served." in result.stderr


@pytest.mark.parametrize(
    "code",
    [
        "import config.wsgi",
        "import config.asgi",
        "from config.celery import app; app.conf.broker_url",
    ],
    ids=["wsgi", "asgi", "celery"],
)
def test_entry_points_default_to_production_settings(code):
    show = "\nfrom django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)"
    result = python(code + show, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["config.settings.production", "False"]
    # (Started this way without the secrets, they refuse: see the gunicorn tests below.)


def test_manage_py_still_defaults_to_the_local_settings():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.SETTINGS_MODULE)",
                    env=production_env(SECRET_KEY=None, MESSENGER_APP_SECRET=None, DATABASE_URL=None,
                                       CELERY_BROKER_URL=None, CHANNEL_LAYER_URL=None))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "config.settings.local"


# --- gunicorn config.wsgi, as an operator would start it (no DJANGO_SETTINGS_MODULE) --------------------------


class Gunicorn:
    """``gunicorn config.wsgi`` on a free port of 127.0.0.1; its log is collected line by line."""

    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", "127.0.0.1:0", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, pattern: str, timeout: float = 60) -> re.Match | None:
        """The first log line matching ``pattern``, or None when the process ended first."""
        while True:
            line = self.lines.get(timeout=timeout)
            if line is None:
                return None
            self.log.append(line)
            if found := re.search(pattern, line):
                return found

    def url(self) -> str:
        found = self.wait_for(r"Listening at: (http://127\.0\.0\.1:\d+)")
        assert found, "".join(self.log)
        return found.group(1)

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(timeout=30)


def http(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None):
    """(status, headers, body) of one real HTTP request, without following redirects."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_gunicorn_without_settings_module_refuses_to_start_without_the_messenger_secret():
    server = Gunicorn(production_env(MESSENGER_APP_SECRET=None))
    try:
        assert server.wait_for(r"MESSENGER_APP_SECRET must be set in production") is not None, "".join(server.log)
        server.wait_for(r"will never match")  # read to the end
    finally:
        code = server.stop()
    assert code != 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql("a gunicorn process on the test database")
def test_gunicorn_without_settings_module_refuses_a_webhook_signed_with_the_old_development_secret():
    db = connection.settings_dict
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    queue_ = factories.QueueFactory(name="Sprzedaż")
    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue_.pk, visitor_name="Klient",
                      visitor_messenger_id="PSID-7", visitor_key="psid-7")
    before = Message.objects.filter(chat=chat).count()

    def event(mid: str, text: str) -> bytes:
        message = {"sender": {"id": "PSID-7"}, "recipient": {"id": "PAGE"}, "timestamp": 1,
                   "message": {"mid": mid, "text": text}}
        return json.dumps({"object": "page", "entry": [{"id": "PAGE", "time": 1, "messaging": [message]}]}).encode()

    server = Gunicorn(production_env(DATABASE_URL=database_url, CELERY_BROKER_URL="memory://",
                                     CHANNEL_LAYER_URL="redis://127.0.0.1:6379/15"))
    try:
        url = server.url()
        proxy = {"Host": "chat.example.com", "X-Forwarded-Proto": "https"}
        # The forgery of the issue: a body signed with the development default.
        forged = event("m_forged", "Please send the refund to account 123.")
        status, _headers, _body = http("POST", f"{url}/webhooks/messenger", body=forged, headers={
            **proxy, "Content-Type": "application/json", "X-Hub-Signature-256": signed(forged, "parley-app-secret")})
        assert status == 403
        assert Message.objects.filter(chat=chat).count() == before
        assert not Message.objects.filter(external_id="m_forged").exists()
        # Meta's real signature still gets through (the route works, the refusal is the signature's).
        real = event("m_real", "Hello")
        status, _headers, body = http("POST", f"{url}/webhooks/messenger", body=real, headers={
            **proxy, "Content-Type": "application/json",
            "X-Hub-Signature-256": signed(real, GOOD["MESSENGER_APP_SECRET"])})
        assert (status, json.loads(body)) == (200, {"stored": 1, "skipped": 0})
        assert Message.objects.filter(chat=chat, external_id="m_real", body="Hello").exists()
        # DEBUG is off: an unknown page is the JSON 404, not Django's debug page; HTTPS is enforced.
        status, headers, body = http("GET", f"{url}/no-such-page/", headers=proxy)
        assert status == 404 and b"URLconf" not in body
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        status, headers, _body = http("GET", f"{url}/inbox/", headers={"Host": "chat.example.com"})
        assert (status, headers["Location"]) == (301, "https://chat.example.com/inbox/")
    finally:
        server.stop()


# --- point 2: check --deploy, HTTPS settings from the environment ---------------------------------------------


def test_check_deploy_prints_no_warning_with_a_realistic_environment():
    result = manage("check", "--deploy", env=production_env(DJANGO_SETTINGS_MODULE="config.settings.production"))
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "System check identified no issues" in output
    assert "WARNING" not in output


def test_https_settings_come_from_the_environment_with_safe_defaults():
    show = (
        "import django, json; django.setup(); from django.conf import settings as s\n"
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " s.SECURE_HSTS_PRELOAD, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SILENCED_SYSTEM_CHECKS]))"
    )
    defaults = python(show, production_env(DJANGO_SETTINGS_MODULE="config.settings.production"))
    assert defaults.returncode == 0, defaults.stderr
    assert json.loads(defaults.stdout) == [True, 31536000, True, False, True, True, ["security.W021"]]
    chosen = python(show, production_env(
        DJANGO_SETTINGS_MODULE="config.settings.production", SECURE_SSL_REDIRECT="false",
        SECURE_HSTS_SECONDS="3600", SECURE_HSTS_INCLUDE_SUBDOMAINS="false", SECURE_HSTS_PRELOAD="true"))
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads(chosen.stdout) == [False, 3600, False, True, True, True, []]


def test_the_widgets_allowed_origins_follow_the_demo_port_unless_named():
    code = "import django; django.setup()\nfrom django.conf import settings\nprint(settings.CORS_ALLOWED_ORIGINS)\n"
    env = production_env(DJANGO_SETTINGS_MODULE="config.settings.local", PARLEY_DEMO_HOST_PORT="8123",
                         WIDGET_ALLOWED_ORIGINS=None)
    result = python(code, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['http://localhost:8123', 'http://127.0.0.1:8123']"
    result = python(code, {**env, "WIDGET_ALLOWED_ORIGINS": "https://shop.example.com"})
    assert result.stdout.strip() == "['https://shop.example.com']"

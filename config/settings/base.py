"""Settings shared by every environment.

Everything that differs between machines comes from environment variables
(one table in docs/operations.md, "Environment variables"); every variable has an embedded default
that gives a zero-configuration first run on SQLite with an embedded broker.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from .env import BASE_DIR, VAR_DIR, database_from_url, env_bool, env_list  # noqa: F401  (local.py and test.py import them from here)

# No secret has a default here: local.py and test.py bring public development values,
# production.py refuses to start without real ones (and refuses those public values).
SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "knox",  # API tokens, stored as digests (agents.models.ApiToken; docs/decisions.md)
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "ordered_model",
    "django_celery_beat",
    "axes",
    "channels",
    "django_structlog",
    "agents",
    "crm",
    "chat",
    "privacy",  # privacy requests (GDPR articles 15 and 17): above chat and crm, docs/privacy.md
]

MIDDLEWARE = [
    # First: /health/live and /health/ready answer before any other middleware (core/health/middleware.py).
    "core.health.middleware.HealthMiddleware",
    # Second: /metrics for Prometheus (its own access rule), and every other request counted and timed by its view
    # (core/metrics/middleware.py).
    "core.metrics.middleware.MetricsMiddleware",

    # First: every line of a request, the other middlewares' too, carries its request id (docs/operations.md, "Logs").
    "core.log_middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a login lockout into the login page with its message.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy on every response, in every environment (the browser tests run under it):
# Parley's pages load scripts, styles, images and fonts from their own origin only and carry no
# inline script, style or event handler (docs/operations.md, "Content-Security-Policy"). The widget
# runs on the host page under the host's policy; this one only governs Parley's own documents.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'parley.sqlite3'}"
DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file in the embedded mode: wait for locks
    # instead of failing at once, and take the write lock when a transaction starts.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

from .live import *  # noqa: E402, F403  (the channel layer of the live layer)

INSTALLED_APPS += LIVE_APPS  # noqa: F405
DATABASES.update(LIVE_DATABASES)  # noqa: F405
DATABASE_ROUTERS = LIVE_DATABASE_ROUTERS  # noqa: F405

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agents.User"
LOGIN_URL = "admin:login"
# django-axes first: it refuses a locked-out login before the password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Polish first (the vendor's language), English shipped.
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "pl")
LANGUAGES = [("pl", _("Polish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Warsaw")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploads live under MEDIA_ROOT; no URL serves them (config/urls.py): they leave only through the download views.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Request bodies (core/bodies.py and chat/bodies.py, docs/decisions.md "Request bodies"). A multipart body may
# carry the card's file limit plus this margin (the other fields, part headers, boundaries);
# CardLimitUploadHandler refuses a larger Content-Length before reading and stops a file at
# the card's limit as its bytes arrive. The files service checks the limit again.
UPLOAD_MULTIPART_MARGIN_BYTES = 64 * 1024
FILE_UPLOAD_HANDLERS = [
    "chat.bodies.CardLimitUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# What Django keeps in memory before spilling an upload to a temporary file.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Every other body (JSON on the API and the widget, form fields everywhere): a message of
# 10,000 characters is at most 120 KB even with every character escaped.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("PARLEY_BODY_MAX_BYTES", str(1024 * 1024)))

# --- Cache ----------------------------------------------------------------
# The throttles count here, so every web process must see the same cache: Redis when CACHE_URL
# is set, otherwise a table in the database (created by `manage.py createcachetable`).
# Django culls the database cache past MAX_ENTRIES rows (live counters included): keep it well above
# the number of clients active in two minutes.
DATABASE_CACHE = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": "parley_cache",
    "OPTIONS": {"MAX_ENTRIES": 50_000},
}
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "core.cache.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured("CACHE_URL must be a redis://, rediss:// or unix:// URL (or unset).")
else:
    CACHES = {"default": DATABASE_CACHE}
# Sessions are read through that cache (written to both): the inbox's cheap polls find the user id without a
# query (docs/decisions.md, "Cheap polls").
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------
# Embedded default: a filesystem broker under var/ shared by web, worker and
# beat on one machine. Production: redis://… or amqp://… in CELERY_BROKER_URL.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# No task is lost when a worker stops (docs/operations.md, "Tasks are not lost"): a task's message is acknowledged
# only once it ran (acks_late); one whose worker process died (killed, out of memory) goes back to the queue at once
# instead of being acknowledged as failed (reject_on_worker_lost). Every task is idempotent, so running one twice is
# harmless. A warm shutdown (SIGTERM) lets the running tasks end and gives the prefetched ones back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With Redis as the broker, the message of a task whose whole worker died (SIGKILL, the machine lost) stays unacked
# until this many seconds after its delivery, then a worker puts it back (when it starts, and every 100 s). Keep it
# above the longest task's run time plus the longest countdown (the Messenger retries'): a message older than that
# is delivered a second time while the first run goes on. Unset: kombu's 3600. RabbitMQ redelivers as soon as the
# dead worker's connection closes and ignores this.
if os.environ.get("CELERY_BROKER_VISIBILITY_TIMEOUT"):
    CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] = int(os.environ["CELERY_BROKER_VISIBILITY_TIMEOUT"])
# django-celery-beat's DatabaseScheduler, which also records beat's heartbeat for /health/ready (core/health/beat.py).
CELERY_BEAT_SCHEDULER = "core.health.beat:HeartbeatScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Health (docs/operations.md, "Health") ----------------------------------
# /health/ready fails when beat's last heartbeat is older than this (0: no beat check); every check that has
# not answered within HEALTH_CHECK_TIMEOUT_SECONDS is reported as failed.
HEALTH_BEAT_MAX_AGE_SECONDS = int(os.environ.get("HEALTH_BEAT_MAX_AGE_SECONDS", "120"))
HEALTH_CHECK_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_CHECK_TIMEOUT_SECONDS", "2"))

# --- Metrics (docs/operations.md, "Metrics") ----------------------------------
# /metrics answers a request with "Authorization: Bearer <PARLEY_METRICS_TOKEN>", or one from an address of
# PARLEY_METRICS_ALLOWED_IPS (addresses or networks, comma-separated; the client address by
# PARLEY_TRUSTED_PROXIES); neither set: nobody (404). Several processes per host: PROMETHEUS_MULTIPROC_DIR.
PARLEY_METRICS_TOKEN = os.environ.get("PARLEY_METRICS_TOKEN", "").strip()
PARLEY_METRICS_ALLOWED_IPS = env_list("PARLEY_METRICS_ALLOWED_IPS")
for _network in PARLEY_METRICS_ALLOWED_IPS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"PARLEY_METRICS_ALLOWED_IPS: {_network!r} is not an address or a network (10.0.0.5, 10.1.0.0/16)."
        ) from None

# Dispatch on PostgreSQL (docs/routing.md): commit automatic assignments without waiting for the WAL
# flush, and keep its statements prepared per connection (turn off behind PgBouncer in transaction
# pooling mode, where consecutive statements may reach different server connections).
PARLEY_DISPATCH_ASYNC_COMMIT = env_bool("PARLEY_DISPATCH_ASYNC_COMMIT", True)
PARLEY_DISPATCH_PREPARED = env_bool("PARLEY_DISPATCH_PREPARED", True)

from .api import *  # noqa: E402, F403  (the abuse limits, the REST API and its schema)

# --- E-mail (the transcript an agent sends to a visitor; the offline messages' acknowledgements and replies) ----
# Django's SMTP backend with the EMAIL_* variables; local.py prints e-mails to the console instead, test.py keeps
# them in memory. Production requires DEFAULT_FROM_EMAIL (production.py).
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Parley <parley@localhost>")
# Where a visitor's answer to an offline message's e-mail goes (a mailbox the contact centre reads); empty: no
# Reply-To, answers go to DEFAULT_FROM_EMAIL. Such answers never reach the chat (docs/inbox.md, "Offline messages").
EMAIL_REPLY_TO = os.environ.get("EMAIL_REPLY_TO", "").strip()
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "30"))

# --- Widget and Messenger -------------------------------------------------
CORS_URLS_REGEX = r"^/widget/.*$"
# By default the demo website of `parley.py start` (PARLEY_DEMO_HOST_PORT, default 8001): the allowed origins
# follow its port, or its widget fails with "Failed to fetch" on any other.
_DEMO_HOST_PORT = os.environ.get("PARLEY_DEMO_HOST_PORT", "8001")
CORS_ALLOWED_ORIGINS = env_list(
    "WIDGET_ALLOWED_ORIGINS", f"http://localhost:{_DEMO_HOST_PORT},http://127.0.0.1:{_DEMO_HOST_PORT}"
)
CORS_ALLOW_HEADERS = ["content-type", "x-visitor-token", "x-requested-with"]
# The widget saves downloaded files under their own name and honours Retry-After; X-Request-ID names a request
# in the logs.
CORS_EXPOSE_HEADERS = ["Content-Disposition", "Retry-After", "X-Parley-Version", "X-Request-ID"]
WIDGET_HEARTBEAT_TIMEOUT_SECONDS = int(os.environ.get("WIDGET_HEARTBEAT_TIMEOUT_SECONDS", "90"))
# Signed identities (docs/inbox.md, "Signed identities"): the host page signs its logged-in visitor's
# e-mail with HMAC-SHA256 and this secret; empty = off (every typed e-mail is a claim). Several secrets,
# comma-separated, are all accepted (rotation: add the new one, switch the host page, drop the old one).
WIDGET_IDENTITY_SECRETS = env_list("WIDGET_IDENTITY_SECRET")
# MESSENGER_ENABLED=false leaves /webhooks/messenger out of the URLs (config/urls.py logs it).
# An empty app secret or verify token refuses every webhook request (chat/messenger/).
MESSENGER_ENABLED = env_bool("MESSENGER_ENABLED", True)
MESSENGER_VERIFY_TOKEN = os.environ.get("MESSENGER_VERIFY_TOKEN", "")
MESSENGER_APP_SECRET = os.environ.get("MESSENGER_APP_SECRET", "")
MESSENGER_PAGE_ACCESS_TOKEN = os.environ.get("MESSENGER_PAGE_ACCESS_TOKEN", "")
MESSENGER_GRAPH_URL = os.environ.get("MESSENGER_GRAPH_URL", "https://graph.facebook.com/v21.0")
MESSENGER_DEFAULT_QUEUE = os.environ.get("MESSENGER_DEFAULT_QUEUE", "")
MESSENGER_SEND_TIMEOUT_SECONDS = float(os.environ.get("MESSENGER_SEND_TIMEOUT_SECONDS", "10"))
MESSENGER_SEND_MAX_RETRIES = int(os.environ.get("MESSENGER_SEND_MAX_RETRIES", "5"))
# Meta batches up to 1,000 events in one POST: 1,000 messages of 2,000 characters, every one
# \u-escaped, with attachment URLs, is about 14 MB.
MESSENGER_BODY_MAX_BYTES = int(os.environ.get("MESSENGER_BODY_MAX_BYTES", str(20 * 1024 * 1024)))

from .logs import *  # noqa: E402, F403  (LOGGING: structured lines, LOG_FORMAT and LOG_LEVEL; django-structlog)

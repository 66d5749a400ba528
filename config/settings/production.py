"""Production: PostgreSQL and Redis or RabbitMQ, all from environment variables.

Parley refuses to start here (``ImproperlyConfigured`` naming every problem at
once) when a secret is unset or is one of the public development values that
local.py and test.py use: anyone can read those in the repository, and with the
Messenger app secret anyone could sign a forged webhook event. The Messenger
secrets are not needed when ``MESSENGER_ENABLED=false`` (no webhook route then).

HTTPS behind a TLS-terminating proxy: the proxy sets ``X-Forwarded-Proto``
(README, "Production"); HSTS and the redirect to HTTPS come from environment
variables whose defaults make ``manage.py check --deploy`` silent
(docs/operations.md explains each choice).
"""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool
from .logs import logging_settings

DEBUG = False

# Values that are public (in the repository: local.py, test.py, and base.py's defaults of
# earlier releases). tests/test_production_settings.py checks that local.py's are all here.
PUBLIC_VALUES = {
    "SECRET_KEY": {"parley-insecure-development-key-change-me-in-production"},
    "MESSENGER_VERIFY_TOKEN": {"parley-verify-token"},
    "MESSENGER_APP_SECRET": {"parley-app-secret"},
}
MESSENGER_SECRETS = ("MESSENGER_APP_SECRET", "MESSENGER_VERIFY_TOKEN")


def configuration_problems(environ, *, messenger_enabled: bool) -> list[str]:
    """What keeps these settings from starting, one sentence each (empty when all is well)."""
    required = ["SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "CHANNEL_LAYER_URL"]
    if messenger_enabled:
        required += MESSENGER_SECRETS
    problems = []
    for name in required:
        value = (environ.get(name) or "").strip()
        hint = (
            " (from the Meta app's settings), or set MESSENGER_ENABLED=false to serve no Messenger webhook"
            if name in MESSENGER_SECRETS
            else ""
        )
        if not value:
            problems.append(f"{name} must be set in production{hint}.")
        elif name == "CHANNEL_LAYER_URL" and not value.startswith(("redis://", "rediss://", "unix://")):
            problems.append(
                "CHANNEL_LAYER_URL must be a redis://, rediss:// or unix:// URL in production: the push channel's "
                "events must reach every web process from every web, worker and beat process."
            )
        elif value in PUBLIC_VALUES.get(name, ()):
            problems.append(
                f"{name} is the public development value from Parley's repository: anyone can read it"
                f"{' and sign forged webhook events with it' if name == 'MESSENGER_APP_SECRET' else ''}; "
                f"set a secret of your own{hint}."
            )
    return problems + email_problems(environ) + metrics_problems(environ)


def email_problems(environ) -> list[str]:
    """E-mail (docs/operations.md, "E-mail"): visitors get the offline messages' acknowledgements and replies (and
    transcripts) from DEFAULT_FROM_EMAIL, which must be a real address of the installation's domain: mail from the
    embedded default parley@localhost is refused or junked by the visitors' mail servers."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    problems = []
    for name, required in (("DEFAULT_FROM_EMAIL", True), ("EMAIL_REPLY_TO", False)):
        value = (environ.get(name) or "").strip()
        if not value:
            if required:
                problems.append(f"{name} must be set in production: the sender of the e-mails to visitors, e.g. "
                                "\"Example Support <support@example.com>\".")
            continue
        address = parseaddr(value)[1]
        try:
            validate_email(address)
        except ValidationError:
            address = ""
        if not address or address.rsplit("@", 1)[-1].lower() in {"localhost", "localhost.localdomain"}:
            problems.append(f"{name} {value!r} is not an e-mail address of your domain, e.g. "
                            "\"Example Support <support@example.com>\".")
    return problems


# A bearer token shorter than this is refused: /metrics shows the queues and the agents' states.
METRICS_TOKEN_MIN_LENGTH = 32


def metrics_problems(environ) -> list[str]:
    """/metrics in production (docs/operations.md, "Metrics"): a strong token, and the multi-process directory
    (without it each web worker would answer with its own process's counters only)."""
    token = (environ.get("PARLEY_METRICS_TOKEN") or "").strip()
    problems = []
    if token and len(token) < METRICS_TOKEN_MIN_LENGTH:
        problems.append(
            f"PARLEY_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_LENGTH} characters long "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)."
        )
    enabled = token or (environ.get("PARLEY_METRICS_ALLOWED_IPS") or "").strip()
    directory = (environ.get("PROMETHEUS_MULTIPROC_DIR") or "").strip()
    if enabled and not directory:
        problems.append(
            "PROMETHEUS_MULTIPROC_DIR must be set when /metrics is on (PARLEY_METRICS_TOKEN or "
            "PARLEY_METRICS_ALLOWED_IPS): the directory where this host's web and Celery processes write their "
            "metrics, emptied before they start."
        )
    elif directory and not os.path.isdir(directory):
        problems.append(f"PROMETHEUS_MULTIPROC_DIR {directory!r} is not a directory (create it before the processes "
                        "start).")
    return problems


_problems = configuration_problems(os.environ, messenger_enabled=MESSENGER_ENABLED)  # noqa: F405
if _problems:
    raise ImproperlyConfigured(
        "config.settings.production refuses to start:\n" + "\n".join(f"  - {problem}" for problem in _problems)
    )

# manage.py bench_web adds its bare yardstick view (config/bench_urls.py) to the server it starts; nothing else
# sets this variable.
if os.environ.get("PARLEY_BENCH_URLS") == "1":
    ROOT_URLCONF = "config.bench_urls"

# One JSON object per line (docs/operations.md, "Logs"), unless LOG_FORMAT says otherwise.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json").strip().lower()
LOGGING = logging_settings(LOG_FORMAT, LOG_LEVEL)  # noqa: F405

STORAGES = {**STORAGES}  # noqa: F405
STORAGES["staticfiles"] = {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}

# HTTPS. The proxy terminates TLS and sets X-Forwarded-Proto (overwriting any the client sent).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading is the domain owner's commitment (hstspreload.org, hard to undo): opt-in only. Without it
# the check that asks for it (security.W021) is silenced; docs/operations.md says why.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True

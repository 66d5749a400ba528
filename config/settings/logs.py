"""Logging (docs/operations.md, "Logs"): JSON lines in production, readable lines in development and tests.

One handler on the root logger renders every line, Parley's, Django's, Celery's, uvicorn's and django-axes'
alike, through structlog's ``ProcessorFormatter`` (``core.logs`` holds the processors). ``LOG_FORMAT`` chooses
the renderer (``json`` or ``console``; production.py defaults to ``json``, every other settings module to
``console``), ``LOG_LEVEL`` the level (default INFO). base.py, production.py and the rest call
``logging_settings`` and keep the result as ``LOGGING``.
"""

from __future__ import annotations

import logging
import os
import sys

import structlog

from core.logs import SHARED_PROCESSORS, configure_structlog, first_fields, redact_exception

__all__ = [  # what base.py's star import takes
    "DJANGO_STRUCTLOG_CELERY_ENABLED", "DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL",
    "DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID", "DJANGO_STRUCTLOG_USER_ID_FIELD",
    "LOGGING", "LOG_FORMAT", "LOG_LEVEL",
]

LOG_FORMATS = ("json", "console")

# django-structlog: the request middleware (core.logs.RequestLogMiddleware) and the Celery receivers that carry
# the request id in a task's headers (config/celery.py connects the worker's side).
DJANGO_STRUCTLOG_CELERY_ENABLED = True
DJANGO_STRUCTLOG_USER_ID_FIELD = None  # agent_id comes from the session, without loading the user (core.logs)
DJANGO_STRUCTLOG_TRUST_UPSTREAM_REQUEST_ID = True  # only after core.logs checked it came from a trusted proxy
DJANGO_STRUCTLOG_STATUS_4XX_LOG_LEVEL = logging.INFO  # a refused input is the client's business, not a warning


def logging_settings(log_format: str, level: str) -> dict:
    """The ``LOGGING`` dictionary for ``log_format`` ("json" or "console") at ``level``."""
    if log_format not in LOG_FORMATS:
        from django.core.exceptions import ImproperlyConfigured  # noqa: PLC0415

        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)} (not {log_format!r}).")
    configure_structlog()
    level = level.upper()
    # A traceback becomes text first, so that redact_exception reads it (and never shows a frame's locals).
    final = [structlog.processors.format_exc_info, redact_exception]
    if log_format == "json":
        final += [first_fields, structlog.processors.JSONRenderer()]
        # Python's warnings (a library's deprecation, Celery's "running as root") become lines like the others
        # instead of text on stderr between them.
        logging.captureWarnings(True)
    else:  # colours only on a terminal (not in a file, a journal or a test's capture)
        final += [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structlog": {
                "()": "structlog.stdlib.ProcessorFormatter",
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structlog"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # SQL with its parameters would carry message texts and tokens: never logged, whatever LOG_LEVEL says.
            "django.db.backends": {"level": "WARNING"},
            # django-structlog's request_finished says what Django's request logger says about 4xx/5xx, and more.
            "django.request": {"level": "ERROR"},
            # uvicorn set up its own handlers before Django loaded: its lines come here instead. Its access log
            # stays off (the Procfile's --no-access-log; request_finished is the access log).
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }


LOG_FORMAT = os.environ.get("LOG_FORMAT", "console").strip().lower()
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = logging_settings(LOG_FORMAT, LOG_LEVEL)

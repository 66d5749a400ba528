"""Structured logs (docs/operations.md, "Logs"): structlog behind the standard library's logging.

Every logger (Parley's ``logging.getLogger(__name__)``, Django's, Celery's, uvicorn's, django-axes') ends in one
handler whose ``structlog.stdlib.ProcessorFormatter`` renders JSON lines (production) or readable lines
(development, tests): ``config/settings/logs.py`` builds that ``LOGGING``. The processors below run for every
line, structlog's and the standard library's alike:

- the context bound for the request or the task (``request_id``, ``chat_id``, ``agent_id``, ``queue_id``,
  ``task_id``), from django-structlog's request middleware (``core.log_middleware``) and its Celery
  receivers, which carry the request id in the task's headers into the worker;
- ``redact``: what is a secret or a message never reaches a line (keys by name, values by shape).
"""

from __future__ import annotations

import inspect
import re
from typing import Any

import structlog

REDACTED = "[redacted]"

# Keys whose values never reach a line, whatever they hold (compared lower-cased; a key that contains one of
# SECRET_KEY_PARTS is redacted too: "visitor_token", "x-api-key", "session_cookie", "db_password"...).
SECRET_KEYS = frozenset({
    "body", "text", "message", "message_body", "message_text", "content", "data", "payload", "file",
    "authorization", "cookie", "cookies", "set-cookie", "headers", "key", "signature", "email_signature", "q",
})
SECRET_KEY_PARTS = ("password", "passwd", "token", "secret", "authorization", "cookie", "session", "api_key",
                    "apikey", "credential", "signature")
# Keys that contain one of those words but hold no secret.
PLAIN_KEYS = frozenset({"event", "session_was_accessed"})

# Values: what the shape gives away, wherever it stands in a line (the text of a standard library record too).
VALUE_PATTERNS = [
    # An Authorization header's credentials: "Token 9944b0…", "Bearer eyJ…", "Basic dXNlcjpw…".
    (re.compile(r"\b(Token|Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{12,}", re.IGNORECASE), r"\1\2" + REDACTED),
    # The inbox's download links carry their attachment's secret token in the path (/inbox/files/<token>/).
    (re.compile(r"(/inbox/files/)[^/?#\s\"']+"), r"\1" + REDACTED),
    # Query parameters that carry a secret or what a user typed: the webhook's verify token, the inbox polls'
    # signed tokens, search terms (they may quote a message).
    (re.compile(r"([?&](?:hub\.verify_token|token|t|q|key|signature|password|secret|code)=)[^&#\s\"']*",
                re.IGNORECASE), r"\1" + REDACTED),
    # A session or CSRF cookie pasted into a message (an exception's text, a debug line).
    (re.compile(r"\b((?:sessionid|csrftoken)=)[^;\s\"']+", re.IGNORECASE), r"\1" + REDACTED),
]


def secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in PLAIN_KEYS:
        return False
    return lowered in SECRET_KEYS or any(part in lowered for part in SECRET_KEY_PARTS)


def redact_text(text: str) -> str:
    for pattern, replacement in VALUE_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(value: Any, depth: int = 0) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if depth >= 4:
        return value
    if isinstance(value, dict):
        return {k: REDACTED if isinstance(k, str) and secret_key(k) else _redact_value(v, depth + 1)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact_value(v, depth + 1) for v in value)
    return value


def redact(logger, method_name: str, event_dict: dict) -> dict:
    """A structlog processor: secrets and message texts out of the line, by key and by value."""
    for key in list(event_dict):
        if key.startswith("_"):  # the formatter's own keys (_record, _from_structlog)
            continue
        if secret_key(key):
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _redact_value(event_dict[key])
    return event_dict


def redact_exception(logger, method_name: str, event_dict: dict) -> dict:
    """After the traceback became text (``format_exc_info``): an exception's message may quote a URL."""
    if isinstance(event_dict.get("exception"), str):
        event_dict["exception"] = redact_text(event_dict["exception"])
    return event_dict


FIRST_FIELDS = ("timestamp", "level", "logger", "event", "request_id", "task_id")


def first_fields(logger, method_name: str, event_dict: dict) -> dict:
    """The fields a reader looks for first at the start of a JSON line, in the same order on every line."""
    first = {key: event_dict.pop(key) for key in FIRST_FIELDS if key in event_dict}
    return {**first, **event_dict}


# Run for structlog's lines before they reach the standard library, and for the standard library's own records
# in the formatter (``foreign_pre_chain``), so both get the same fields.
SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.PositionalArgumentsFormatter(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    redact,
]


def configure_structlog() -> None:
    """structlog hands its lines to the standard library's logging, whose handler renders them (``LOGGING``)."""
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *SHARED_PROCESSORS,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


def log_context(**ids) -> None:
    """Name the chat (queue, agent) on the rest of this request's or task's lines, when a view or a task learns it
    later than its URL or arguments say (the widget's start creates the chat). None values are left out."""
    structlog.contextvars.bind_contextvars(**{name: value for name, value in ids.items() if value is not None})


# --- Celery tasks --------------------------------------------------------------

# What a task takes from the request (or task) that queued it: the request id and the publishing task's id. The
# publisher's chat, queue and agent are not the task's (dispatch serves every waiting chat): they stay behind.
TASK_INHERITED = ("request_id", "correlation_id", "parent_task_id")
# Task arguments bound to the task's lines, under the same names.
TASK_CONTEXT = ("chat_id", "queue_id", "agent_id", "message_id")


def keep_request_context(sender=None, context=None, **kwargs) -> None:
    """django-structlog's ``modify_context_before_task_publish``: only ``TASK_INHERITED`` travels."""
    for key in list(context):
        if key not in TASK_INHERITED:
            del context[key]


def bind_task_arguments(sender=None, task=None, **kwargs) -> None:
    """django-structlog's ``bind_extra_task_metadata``: the task's own chat (queue, agent, message) ids."""
    arguments = dict(getattr(task.request, "kwargs", None) or {})
    if task.request.args:
        try:
            names = list(inspect.signature(task.run).parameters)
            arguments.update(zip(names, task.request.args, strict=False))
        except (TypeError, ValueError):
            pass
    context = {name: arguments[name] for name in TASK_CONTEXT if isinstance(arguments.get(name), (int, str))}
    if context:
        structlog.contextvars.bind_contextvars(**context)

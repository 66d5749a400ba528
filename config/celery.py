"""The Celery app (``celery -A config worker`` / ``beat``).

Without DJANGO_SETTINGS_MODULE it uses the production settings (see wsgi.py);
``parley.py start`` sets the local ones for its worker and beat.
"""

import logging.config
import os

import structlog
from celery import Celery
from celery.signals import setup_logging, task_postrun, worker_init, worker_process_init
from django_structlog.celery import signals as structlog_signals
from django_structlog.celery.steps import DjangoStructLogInitStep

from core.logs import bind_task_arguments, keep_request_context
from core.metrics.exposition import multiprocess_dir_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# The metrics of this host's processes (PROMETHEUS_MULTIPROC_DIR; docs/operations.md, "Metrics"). Every Parley
# process passes here once (the ``config`` package imports this module): web, worker (its prefork children write
# there too), beat, manage.py.
multiprocess_dir_prepare()

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Structured logs (docs/operations.md, "Logs"): the worker logs each task's start and end with the request id that
# django-structlog put in the task's headers when a request queued it (DJANGO_STRUCTLOG_CELERY_ENABLED), plus the
# task's own chat id; only the request id travels (core.logs.keep_request_context).
app.steps["worker"].add(DjangoStructLogInitStep)
structlog_signals.modify_context_before_task_publish.connect(keep_request_context)
structlog_signals.bind_extra_task_metadata.connect(bind_task_arguments)


@setup_logging.connect
def _log_as_django_does(**kwargs) -> None:
    """Worker and beat log through the settings' LOGGING (JSON lines in production) instead of Celery's format."""
    from django.conf import settings  # noqa: PLC0415

    logging.config.dictConfig(settings.LOGGING)


@worker_init.connect
@worker_process_init.connect
def _publish_live_events_in_the_background(**kwargs) -> None:
    """A worker (and each of its forked children) publishes the live events of its tasks in the background, as
    the web processes do (chat/services/live/publisher.py)."""
    from chat.services.live.publisher import publisher  # noqa: PLC0415  (Django's apps load after this module)

    publisher.enable()


@worker_init.connect
def _forget_a_task_context_after_it(**kwargs) -> None:
    """In a worker, a task's request id and ids end with it (django-structlog binds them as it starts): the worker's
    own lines between tasks carry none. Not in a web process, whose eager tasks run inside a request."""
    task_postrun.connect(_clear_log_context, weak=False)


def _clear_log_context(**kwargs) -> None:
    structlog.contextvars.clear_contextvars()

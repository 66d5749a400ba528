"""The Celery app (``celery -A config worker`` / ``beat``).

Without DJANGO_SETTINGS_MODULE it uses the production settings (see wsgi.py);
``parley.py start`` sets the local ones for its worker and beat.
"""

import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_init.connect
@worker_process_init.connect
def _publish_live_events_in_the_background(**kwargs) -> None:
    """A worker (and each of its forked children) publishes the live events of its tasks in the background, as
    the web processes do (chat/services/live/publisher.py)."""
    from chat.services.live.publisher import publisher  # noqa: PLC0415  (Django's apps load after this module)

    publisher.enable()

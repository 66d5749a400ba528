"""The Celery app (``celery -A config worker`` / ``beat``).

Without DJANGO_SETTINGS_MODULE it uses the production settings (see wsgi.py);
``parley.py start`` sets the local ones for its worker and beat.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("parley")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

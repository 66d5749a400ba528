"""WSGI entry point (``gunicorn config.wsgi``).

Without DJANGO_SETTINGS_MODULE it serves the production settings, which refuse
to start without real secrets: a server started by hand never shows Django's
debug pages. Only manage.py and ``parley.py start`` default to the local settings.
"""

import os

from django.core.wsgi import get_wsgi_application

from core.metrics.exposition import multiprocess_dir_prepare

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
# The metrics of this host's processes (PROMETHEUS_MULTIPROC_DIR; docs/operations.md, "Metrics").
multiprocess_dir_prepare()
application = get_wsgi_application()

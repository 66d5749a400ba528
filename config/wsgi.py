"""WSGI entry point (``gunicorn config.wsgi``).

Without DJANGO_SETTINGS_MODULE it serves the production settings, which refuse
to start without real secrets: a server started by hand never shows Django's
debug pages. Only manage.py and ``parley.py start`` default to the local settings.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

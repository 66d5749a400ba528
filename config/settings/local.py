"""Zero-configuration development and demo run: SQLite and the embedded broker.

The secrets below are public (they are in the repository): good enough for a demo
on 127.0.0.1, refused by ``config.settings.production``.
"""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEVELOPMENT_SECRET_KEY = "parley-insecure-development-key-change-me-in-production"
DEVELOPMENT_MESSENGER_VERIFY_TOKEN = "parley-verify-token"
DEVELOPMENT_MESSENGER_APP_SECRET = "parley-app-secret"

DEBUG = env_bool("DEBUG", True)
# The embedded default has no mail server: e-mails (a chat's transcript) are printed by the web process.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
MESSENGER_VERIFY_TOKEN = os.environ.get("MESSENGER_VERIFY_TOKEN") or DEVELOPMENT_MESSENGER_VERIFY_TOKEN
MESSENGER_APP_SECRET = os.environ.get("MESSENGER_APP_SECRET") or DEVELOPMENT_MESSENGER_APP_SECRET
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

"""Zero-configuration development and demo run: SQLite and the embedded broker."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", True)

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

"""The language of the system's own lines (closing notes, the rating question): the site's, not the caller's."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def system_text(text) -> str:
    """System messages are stored in the site's language (LANGUAGE_CODE), not in the language of
    whoever caused them: the client reads them, and his widget speaks the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return str(text)

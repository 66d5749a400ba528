"""The privacy services: whom a request is about (``subject``), the export (art. 15), the erasure (art. 17),
their audit record; ``relations`` is the table of what is stored about a person. Every way in (the admin, the
REST API, the management commands) calls these."""

from .erase import privacy_erase, privacy_erase_check
from .export import PrivacyExport, privacy_export
from .relations import RELATIONS
from .subject import PrivacySubject, privacy_email_clean, privacy_subject
from .summary import privacy_summary

__all__ = [
    "RELATIONS",
    "PrivacyExport",
    "PrivacySubject",
    "privacy_email_clean",
    "privacy_erase",
    "privacy_erase_check",
    "privacy_export",
    "privacy_subject",
    "privacy_summary",
]

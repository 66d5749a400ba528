"""The one error type the services raise on bad input (see CONTRACT / DESIGN.md)."""

from __future__ import annotations


class ChatError(Exception):
    """A refused operation: nothing was changed.

    ``message`` is translatable and shown to people, ``field`` names the
    offending input when there is one, ``code`` is a short stable string that
    integrations can test.
    """

    def __init__(self, message, *, field=None, code="invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code

    def __str__(self) -> str:
        return str(self.message)

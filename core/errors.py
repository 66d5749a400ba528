"""The one error type the services of every app raise (HackSoft's ``ApplicationError``).

A service raises :class:`ApplicationError` (or a subclass: chat's ``ChatError``) on bad input
and changes nothing (the transaction is rolled back). The message is translatable and meant for
people; ``code`` is a short stable string for programs; ``field`` names the offending input when
there is one, so that the API answers ``{"<field>": ["<message>"], "code": "<code>"}``
(:func:`core.rest.exceptions.api_exception_handler`).
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A refused request: clear message, optional field, stable code."""

    def __init__(self, message: Any, *, field: str | None = None, code: str = "invalid", params: dict | None = None):
        self.message = message
        self.field = field
        self.code = code
        self.params = params or {}
        super().__init__(message)

    def __str__(self) -> str:
        text = str(self.message)
        return text % self.params if self.params else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, field={self.field!r}, code={self.code!r})"

    # The shapes of django.core.exceptions.ValidationError, for code that
    # handles both the same way (the admin, DRF exception handlers).
    @property
    def messages(self) -> list[str]:
        return [str(self)]

    @property
    def message_dict(self) -> dict[str, list[str]]:
        return {self.field or "detail": [str(self)]}

    def as_dict(self) -> dict[str, Any]:
        """JSON body for the API: ``{"<field or detail>": ["message"], "code": "..."}``."""
        return {**self.message_dict, "code": self.code}

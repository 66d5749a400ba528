"""The error the chat services raise: :class:`ChatError`, chat's :class:`core.errors.ApplicationError`.

Every service raises it on bad input and changes nothing (the transaction is rolled back); its
message, ``field`` and ``code`` are those of ``ApplicationError``. Being a subclass, every
``except ApplicationError`` (the API's error handler, the admin, the inbox) handles it too; the
services of ``agents`` and ``crm`` raise ``ApplicationError`` itself (they do not import chat).
"""

from __future__ import annotations

from core.errors import ApplicationError


class ChatError(ApplicationError):
    """A refused request of a chat service: clear message, optional field, stable code."""

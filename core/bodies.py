"""Request bodies: each has a ceiling, and a body over it is refused before it is read.

Three ceilings (docs/decisions.md, "Request bodies"):

- a multipart body (a file upload, anywhere): the card's file limit
  (``ChatSettings.file_max_size_bytes``) plus ``UPLOAD_MULTIPART_MARGIN_BYTES`` for the
  other form fields, the part headers and the boundaries. ``chat.bodies.CardLimitUploadHandler``,
  first in ``FILE_UPLOAD_HANDLERS``, compares ``Content-Length`` with it before Django
  reads a byte, and counts the bytes of each file as they arrive, so a file over the
  card's limit is stopped at the limit whatever the header said (it reads the card: it is
  chat's, the rest of this module knows no app);
- JSON and form bodies (and the form fields of a multipart body): Django's
  ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (``PARLEY_BODY_MAX_BYTES``), checked against
  ``Content-Length`` before reading (DRF reads JSON and forms through ``request.body``);
- the Messenger webhook: ``MESSENGER_BODY_MAX_BYTES`` (Meta batches up to 1,000 events).

Every refusal is a ``RequestDataTooBig`` (ours: :class:`BodyTooLarge`, with its field and
limit): the API's exception handler answers it with 413 JSON naming the limit; anywhere else
Django answers 400, as for any suspicious request. :class:`ParleyJSONParser` also turns JSON
nested too deeply into a 400 parse error. Shared by the REST API, the widget, the inbox and the webhook.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MIB = 1024 * 1024


def size_text(size: int) -> str:
    """``8 MB`` for whole mebibytes (how the card speaks), Django's file size format otherwise."""
    if size >= MIB and size % MIB == 0:
        return f"{size // MIB} MB"
    return str(filesizeformat(size))


class BodyTooLarge(RequestDataTooBig):
    """A request body over its ceiling: 413 ``{"<field>": ["message"], "code": "too_large", "limit_bytes": n}``."""

    code = "too_large"

    def __init__(self, *, limit_bytes: int, field: str = "detail", message=None):
        self.limit_bytes = limit_bytes
        self.field = field
        self.message = message or _("The request body is too large: the limit is %(size)s.") % {
            "size": size_text(limit_bytes)
        }
        super().__init__(str(self.message))


def file_too_large(limit_bytes: int) -> BodyTooLarge:
    """The files service's words for a file over the card's limit, as a body refusal."""
    return BodyTooLarge(
        limit_bytes=limit_bytes,
        field="file",
        message=_("The file is too large: the limit is %(mb)s MB.") % {"mb": limit_bytes // MIB},
    )


def content_length(meta) -> int:
    """The declared ``Content-Length`` (0 when absent or not a number, as Django reads it)."""
    try:
        return max(int(meta.get("CONTENT_LENGTH") or 0), 0)
    except (TypeError, ValueError):
        return 0


def body_read(stream, *, meta, limit: int | None) -> bytes:
    """The raw body, at most ``limit`` bytes: refused (:class:`BodyTooLarge`) when the declared
    ``Content-Length`` is over it, before anything is read, or when more bytes arrive than the
    limit allows (a body without a length or with a wrong one). ``limit=None``: no ceiling."""
    if limit is None:
        return stream.read()
    if content_length(meta) > limit:
        raise BodyTooLarge(limit_bytes=limit)
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise BodyTooLarge(limit_bytes=limit)
    return raw


class ParleyJSONParser(JSONParser):
    """DRF's JSON parser, safe from deep nesting: JSON nested deeper than Python recurses
    (``[`` x 100,000) is a 400 parse error instead of a ``RecursionError`` (500). The size is
    Django's: DRF reads a JSON body through ``request.body``, which refuses one over
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (by its Content-Length, before reading it) with
    ``RequestDataTooBig``, answered 413 by the API's exception handler."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - the JSON is nested too deeply."))

"""The card's ceiling of multipart bodies (docs/decisions.md, "Request bodies"): the upload handler
first in ``FILE_UPLOAD_HANDLERS``. The other ceilings, and the refusal they all raise, are
:mod:`core.bodies`'s."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler

from chat.models import ChatSettings
from core.bodies import file_too_large


class CardLimitUploadHandler(FileUploadHandler):
    """First of ``FILE_UPLOAD_HANDLERS``: holds every multipart body to the card's file limit.

    ``handle_raw_input`` refuses a ``Content-Length`` over the limit plus the multipart
    margin before Django reads a byte; ``receive_data_chunk`` counts each file's bytes and
    stops the upload at the limit, whatever ``Content-Length`` claimed, after telling the
    other handlers to drop what they spooled (the temporary file is removed at once).
    The card is read only when a multipart body arrives.
    """

    limit_bytes: int | None = None

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.limit_bytes = ChatSettings.load().file_max_size_bytes
        if content_length > self.limit_bytes + settings.UPLOAD_MULTIPART_MARGIN_BYTES:
            raise file_too_large(self.limit_bytes)
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.limit_bytes is not None and self.received > self.limit_bytes:
            for handler in getattr(self.request, "upload_handlers", ()):
                if handler is not self:
                    handler.upload_interrupted()
            raise file_too_large(self.limit_bytes)
        return raw_data

    def file_complete(self, file_size):
        return None  # the next handler (memory or temporary file) builds the uploaded file

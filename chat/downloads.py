"""The one way a stored attachment leaves the server: as a download (REST API, widget and inbox)."""

from __future__ import annotations

from django.http import FileResponse

from chat.models import Attachment
from chat.services.files import AttachmentGone, attachment_download_check


def attachment_file_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never rendered by the browser. Past its download hours, or removed from
    storage behind the row's back, it raises ``AttachmentGone`` (410)."""
    attachment_download_check(attachment=attachment)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise AttachmentGone()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

"""Reading a report request's parameters (the page's form and the API's query string alike)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .ranges import DateRange, ReportError, report_range


def report_params(data) -> tuple[DateRange, dict]:
    """(the date range, the filters ``queue_id`` and ``channel``) from a query dictionary with ``from``, ``to``,
    ``queue`` and ``channel``; a ReportError names the parameter at fault."""
    period = report_range(date_from=data.get("from"), date_to=data.get("to"))
    queue = (data.get("queue") or "").strip()
    queue_id = None
    if queue:
        if not queue.isdigit() or len(queue) > 18:
            raise ReportError(_("Choose a queue by its number."), field="queue", code="invalid")
        queue_id = int(queue)
    return period, {"queue_id": queue_id, "channel": (data.get("channel") or "").strip() or None}

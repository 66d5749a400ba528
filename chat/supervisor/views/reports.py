"""The reports (``/supervisor/reports/``): a chart, a table and its CSV per report, for staff.

The numbers come from ``chat.reports.selectors.report_run``, the same the API answers with."""

from __future__ import annotations

import csv
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.formats import date_format
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from chat.models import Chat, Queue
from chat.reports.figures import AVERAGE_CODES, COUNT_CODES, MEASURES
from chat.reports.params import report_params
from chat.reports.ranges import ReportError, report_range
from chat.reports.selectors import REPORTS, report_run
from chat.supervisor import charts

from .common import staff_view


@require_GET
@staff_view
def reports(request):
    """The overview: every chat of the range in one row, and the list of the reports."""
    return _page(request, "overview")


@require_GET
@staff_view
def report(request, name: str):
    if name not in REPORTS:
        raise Http404
    return _page(request, name)


def _display(name: str, rows: list[dict]) -> list[dict]:
    """Rows with the labels the page shows (a day in the language's date format)."""
    if name != "days":
        return rows
    out = []
    # The day under a column: month and day in the language's order (a date format string, translated).
    short = pgettext("day under a chart column (a date format)", "n/j")
    for row in rows:
        day = date.fromisoformat(row["key"])
        out.append({**row, "label": date_format(day, "SHORT_DATE_FORMAT"), "short": date_format(day, short)})
    return out


def _page(request, name: str):
    report_def = REPORTS[name]
    context = {
        "section": "reports",
        "reports": REPORTS.values(),
        "report": report_def,
        "queues": Queue.objects.order_by("name"),
        "channels": [c for c in Chat.Channel.choices if c[0] != Chat.Channel.INTERNAL],
        "form": {k: request.GET.get(k, "") for k in ("from", "to", "queue", "channel")},
    }
    try:
        period, filters = report_params(request.GET)
        result = report_run(name, period, **filters)
    except ReportError as exc:
        context.update(error=exc, field=exc.field, period=report_range())
        return render(request, "supervisor/report.html", context, status=400)
    if request.GET.get("format") == "csv":
        return _csv(name, result)
    rows = _display(name, result.rows)
    every = max(1, -(-len(rows) // 31))  # at most about 31 labels under the columns
    chart = charts.build(
        title=str(report_def.title), dimension=str(report_def.dimension), rows=rows,
        horizontal=report_def.chart == "bars", every=every,
    )
    query = request.GET.copy()
    query["format"] = "csv"
    context.update(
        period=period,
        result=result,
        rows=rows,
        table=[
            {"label": row["label"], "cells": [(code, row[code], _places(code)) for code, _label in MEASURES]}
            for row in rows
        ],
        chart=chart,
        measures=MEASURES,
        count_codes=COUNT_CODES,
        csv_query=query.urlencode(),
        form={**context["form"], "from": period.date_from.isoformat(), "to": period.date_to.isoformat()},
    )
    return render(request, "supervisor/report.html", context)


def _places(code: str) -> int | None:
    """Decimal places of a measure on the page: counts as they are (None), times to a tenth, the average rating to
    a hundredth."""
    if code in COUNT_CODES:
        return None
    return 2 if code in AVERAGE_CODES else 1


def _csv(name: str, result) -> HttpResponse:
    """The table as CSV: a header of stable English codes (the API's keys), plain numbers (a dot for decimals),
    ISO dates; the labels in the page's language."""
    period = result.period
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="parley-{name}-{period.date_from.isoformat()}-{period.date_to.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    codes = [code for code, _label in MEASURES]
    writer.writerow(["key", "label", *codes])
    for row in result.rows:
        writer.writerow(["" if row["key"] is None else row["key"], _cell(row["label"]),
                         *["" if row[c] is None else row[c] for c in codes]])
    return response


def _cell(text: str) -> str:
    """A name as a CSV cell that a spreadsheet does not run as a formula (a queue named "=1+1")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

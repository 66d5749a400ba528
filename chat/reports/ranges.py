"""The date range of a report: from/to dates (both included) in the site's time zone (``settings.TIME_ZONE``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.errors import ApplicationError

DEFAULT_DAYS = 7
MAX_DAYS = 366


class ReportError(ApplicationError):
    """A refused report request (a bad date range, an unknown report): clear message, the field named."""


@dataclass(frozen=True)
class DateRange:
    date_from: date
    date_to: date  # included

    @property
    def zone(self) -> ZoneInfo:
        return site_zone()

    @property
    def start(self) -> datetime:
        """The first moment of ``date_from`` in the site's time zone."""
        return datetime.combine(self.date_from, time.min, tzinfo=self.zone)

    @property
    def end(self) -> datetime:
        """The first moment after ``date_to`` (excluded)."""
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self.zone)

    @property
    def days(self) -> list[date]:
        return [self.date_from + timedelta(days=n) for n in range((self.date_to - self.date_from).days + 1)]


def site_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def site_today() -> date:
    return timezone.now().astimezone(site_zone()).date()


def _parse(value, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if len(str(value)) == 10 else None
    except ValueError:
        return None


def report_range(*, date_from=None, date_to=None) -> DateRange:
    """The range asked for (ISO dates ``YYYY-MM-DD`` or ``date``; either may be missing): by default the last
    7 days up to today; a missing ``from`` is 6 days before ``to``, a missing ``to`` 6 days after ``from`` (never
    after today unless asked). Refuses a malformed date, ``to`` before ``from`` and a range over 366 days."""
    parsed = {}
    for field, value in (("from", date_from), ("to", date_to)):
        parsed[field] = _parse(value, field)
        if value not in (None, "") and parsed[field] is None:
            raise ReportError(
                _("Enter the date as YYYY-MM-DD (for example 2026-03-31)."), field=field, code="invalid_date"
            )
    start, end = parsed["from"], parsed["to"]
    if start is None and end is None:
        end = site_today()
    if start is None:
        start = end - timedelta(days=DEFAULT_DAYS - 1)
    if end is None:
        end = max(start, min(start + timedelta(days=DEFAULT_DAYS - 1), site_today()))
    if end < start:
        raise ReportError(_("The end date is before the start date."), field="to", code="invalid_range")
    if (end - start).days + 1 > MAX_DAYS:
        raise ReportError(
            _("A report covers at most %(days)d days; choose a shorter range."),
            field="to", code="range_too_long", params={"days": MAX_DAYS},
        )
    return DateRange(start, end)

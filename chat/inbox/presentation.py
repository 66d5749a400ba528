"""Small presentation helpers of the inbox pages."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import pgettext


def waited(since) -> str:
    """A compact "how long ago" for lists: "45 s", "12 min", "1 h 35 min", "3 d 4 h"."""
    if not since:
        return ""
    seconds = max(0, int((timezone.now() - since).total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 60:
        return pgettext("duration", "%(n)d s") % {"n": seconds}
    if minutes < 60:
        return pgettext("duration", "%(n)d min") % {"n": minutes}
    if hours < 24:
        rest = minutes - hours * 60
        if rest:
            return pgettext("duration", "%(h)d h %(m)d min") % {"h": hours, "m": rest}
        return pgettext("duration", "%(n)d h") % {"n": hours}
    rest = hours - days * 24
    if rest:
        return pgettext("duration", "%(d)d d %(h)d h") % {"d": days, "h": rest}
    return pgettext("duration", "%(n)d d") % {"n": days}


def seconds_left(until) -> int:
    """Whole seconds from now until ``until``, rounded up (0 once it passed)."""
    return max(0, int((until - timezone.now()).total_seconds() + 0.999))


def countdown(seconds: int) -> str:
    """Seconds as the inbox's countdowns show them: "0:42", "3:05" (inbox.js's notify part counts on the page)."""
    return f"{seconds // 60}:{seconds % 60:02d}"

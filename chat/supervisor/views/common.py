"""What every supervisor page shares: staff only, the same login page as the inbox."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied

from chat.inbox.views.common import agent_view


def staff_view(view):
    """Logged-in staff only (``user.is_staff``); anybody else logged in gets 403, a visitor the login page."""

    @agent_view
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper

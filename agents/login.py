"""Login forms of the inbox and the admin, and the response to a locked-out login.

django-axes (settings: ``AXES_*``; docs/operations.md, "Abuse limits") counts failed logins per user
name and per client address and refuses logins past the limit. When it does, both login forms say so
in the page's language instead of "wrong password", and the page comes back with status 429.
"""

from __future__ import annotations

from axes.helpers import get_lockout_message
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.utils.translation import gettext_lazy as _

LOCKED_OUT = "locked_out"


def login_locked_out(request) -> bool:
    """Whether django-axes refused or locked out the login attempt of ``request``."""
    return bool(getattr(request, "axes_locked_out", False))


class LockoutMessageMixin:
    """A login form that shows django-axes' translated lockout message instead of "wrong password"."""

    def get_invalid_login_error(self):
        if login_locked_out(self.request):
            return ValidationError(get_lockout_message(), code=LOCKED_OUT)
        return super().get_invalid_login_error()


class LoginForm(LockoutMessageMixin, AuthenticationForm):
    """The inbox's login form."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The user name or the password is wrong."),
    }


class AdminLoginForm(LockoutMessageMixin, AdminAuthenticationForm):
    """The admin's login form."""


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login page as its view rendered it (the form carries the
    lockout message), with 429; a request that was not a login page gets the API's error shape."""
    if original_response is not None and original_response.get("Content-Type", "").startswith("text/html"):
        original_response.status_code = 429
        return original_response
    return JsonResponse({"detail": [str(get_lockout_message())], "code": LOCKED_OUT}, status=429)

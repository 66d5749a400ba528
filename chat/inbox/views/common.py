"""What every inbox view shares: the login requirement, htmx-aware redirects, the refusal's text."""

from __future__ import annotations

import hashlib
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from core.errors import ApplicationError

inbox_login_required = login_required(login_url="inbox:login")


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def htmx_redirect(request, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load (flash messages show there)."""
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def digest(text: str) -> str:
    return hashlib.blake2s(text.encode(), digest_size=8).hexdigest()


def agent_view(view):
    """Logged-in users only; the inbox is for agents (every active user may act as one).

    A poll or an action whose session has ended sends the whole page to the login page
    (HX-Redirect) instead of letting htmx swap the login form into a fragment.
    """
    protected = inbox_login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if is_htmx(request) and not request.user.is_authenticated:
            return htmx_redirect(request, f"{reverse('inbox:login')}?{urlencode({'next': reverse('inbox:index')})}")
        return protected(request, *args, **kwargs)

    return wrapper


def error_text(exc: ApplicationError) -> str:
    return str(exc)  # the translated message with its parameters filled in

"""Login, log-out and the presence bar (available, a pause, log out): the agent's presence follows them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents.login import LoginForm
from agents.services import agent_notify_sound_set, presence_login, presence_logout, presence_update
from chat.inbox.forms import PresenceForm
from chat.inbox.views.common import agent_view, error_text, htmx_redirect, is_htmx
from core.errors import ApplicationError


class InboxLoginView(LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("inbox:index")

    def form_valid(self, form):
        response = super().form_valid(form)
        try:
            presence_login(agent_id=self.request.user.pk, actor=self.request.user)
        except ApplicationError as exc:
            messages.warning(self.request, str(exc))
        return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        try:
            presence_logout(agent_id=request.user.pk, actor=request.user)
        except ApplicationError:
            pass
    auth_logout(request)
    return htmx_redirect(request, reverse("inbox:login"))


@require_POST
@agent_view
def presence_view(request):
    form = PresenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a pause type."))
        return htmx_redirect(request, _safe_next(request))
    action = form.cleaned_data["action"]
    if action == PresenceForm.LOGOUT:
        return logout_view(request)
    pause = form.cleaned_data.get("pause_type") if action == PresenceForm.PAUSE else None
    try:
        presence_update(agent_id=request.user.pk, logged_in=True, pause_type_id=pause.pk if pause else None,
                        actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    return htmx_redirect(request, _safe_next(request))


def _safe_next(request) -> str:
    """The ``next`` of a form, only when it stays on this site; the inbox otherwise (never another host)."""
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return reverse("inbox:index")


@require_POST
@agent_view
def notify_sound_view(request):
    """The sound switch of the top bar: kept on the agent (every browser of his follows it)."""
    agent = agent_notify_sound_set(agent_id=request.user.pk, on=request.POST.get("on") == "1")
    request.user.notify_sound = agent.notify_sound
    if is_htmx(request):
        return render(request, "inbox/_notify.html")
    return redirect("inbox:index")

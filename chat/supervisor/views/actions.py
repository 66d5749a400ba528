"""The supervisor's actions as form POSTs (staff only, CSRF): the inbox chat page's "Supervisor" panel and the live
floor post here. Each calls one service of ``chat.services.supervision`` and goes back to ``next`` (a URL of this
site; else the chat's page or the floor) with a flash message: what was done, or the service's refusal in its own
words. docs/supervisor.md lists the fields."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from agents.models import User
from chat.inbox.views.common import error_text, htmx_redirect
from chat.services.supervision import (
    supervisor_assign,
    supervisor_join,
    supervisor_logout_agent,
    supervisor_pause_agent,
    supervisor_take_over,
    supervisor_whisper,
)
from core.errors import ApplicationError

from .common import staff_view


def _back(request, default: str):
    """To ``next`` when it is a URL of this site (``url_has_allowed_host_and_scheme``), else to ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = default
    return htmx_redirect(request, target)


def _chat_page(chat_id: int) -> str:
    return reverse("inbox:chat", args=[chat_id])


def _flag(request, name: str) -> bool:
    return request.POST.get(name, "").lower() in ("1", "on", "true", "yes")


def _run(request, action, *, done, default: str):
    """Run ``action`` (a callable), flash ``done(result)`` or the refusal, and go back."""
    try:
        result = action()
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done(result))
    return _back(request, default)


def _agent_name(agent_id) -> str:
    try:
        agent = User.objects.filter(pk=int(agent_id)).first()
    except (TypeError, ValueError):
        agent = None
    return agent.display_name if agent else "?"


@require_POST
@staff_view
def chat_assign(request, chat_id: int):
    """Fields: ``agent`` (a user id), ``override`` (checkbox: over the agent's maximum)."""
    agent_id = request.POST.get("agent", "")
    override = _flag(request, "override")

    def done(chat):
        if chat.capacity_overridden:
            return _("The chat went to %(agent)s, over the maximum of open chats.") % {"agent": chat.agent}
        return _("The chat went to %(agent)s.") % {"agent": chat.agent}

    return _run(
        request,
        lambda: supervisor_assign(chat_id=chat_id, agent_id=agent_id, actor=request.user, override_capacity=override),
        done=done, default=_chat_page(chat_id),
    )


@require_POST
@staff_view
def chat_join(request, chat_id: int):
    return _run(
        request, lambda: supervisor_join(chat_id=chat_id, actor=request.user),
        done=lambda _event: _("You are watching this chat silently: neither the visitor nor the agent is told."),
        default=_chat_page(chat_id),
    )


@require_POST
@staff_view
def chat_whisper(request, chat_id: int):
    """Field: ``body``."""
    return _run(
        request, lambda: supervisor_whisper(chat_id=chat_id, actor=request.user, body=request.POST.get("body", "")),
        done=lambda note: _("Whispered to %(agent)s: only the agents see it.") % {"agent": note.chat.agent},
        default=_chat_page(chat_id),
    )


@require_POST
@staff_view
def chat_take_over(request, chat_id: int):
    """Field: ``override`` (checkbox: over your own maximum)."""
    override = _flag(request, "override")
    return _run(
        request,
        lambda: supervisor_take_over(chat_id=chat_id, actor=request.user, override_capacity=override),
        done=lambda _chat: _("You have taken over the chat: the visitor is talking with you now."),
        default=_chat_page(chat_id),
    )


@require_POST
@staff_view
def agent_pause(request, agent_id: int):
    """Field: ``pause_type`` (a pause type id)."""
    return _run(
        request,
        lambda: supervisor_pause_agent(
            agent_id=agent_id, pause_type_id=request.POST.get("pause_type", ""), actor=request.user
        ),
        done=lambda presence: _("%(agent)s is on a pause: %(pause)s.")
        % {"agent": _agent_name(agent_id), "pause": presence.pause_type},
        default=reverse("supervisor:floor"),
    )


@require_POST
@staff_view
def agent_logout(request, agent_id: int):
    return _run(
        request, lambda: supervisor_logout_agent(agent_id=agent_id, actor=request.user),
        done=lambda _presence: _("%(agent)s is logged out; the open chats went back to their queues.")
        % {"agent": _agent_name(agent_id)},
        default=reverse("supervisor:floor"),
    )

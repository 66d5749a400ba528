"""Canned responses in the inbox (issue 14, point 3): the agent's own on a small page (list, create, edit,
delete), and the reply box's "/" picker, which asks ``chats/<id>/canned/?q=`` for the responses that apply in
that chat with their placeholders already filled (JSON: inbox.js builds the listbox from it).

Who may see the chat is ``chats_visible_to`` (another agent's chat answers 404); who may write a response is
chat.services.canned."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chat.inbox import selectors
from chat.inbox.forms import CannedResponseForm
from chat.inbox.views.common import agent_view, error_text
from chat.models import CannedResponse
from chat.selectors import canned_for_chat, canned_visible_to
from chat.services.canned import canned_create, canned_delete, canned_fill, canned_update, canned_values
from core.errors import ApplicationError

PICKER_LIMIT = 50


@require_GET
@agent_view
def canned_picker(request, chat_id: int):
    """The responses the reply box offers in this chat, filtered by ``q``, filled for this chat and agent."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    values = canned_values(chat=chat, agent=request.user)
    query = request.GET.get("q", "")[:100].replace("\x00", "")  # PostgreSQL refuses NUL in a string
    items = [
        {"id": canned.pk, "shortcut": canned.shortcut, "title": canned.title, "scope": canned.get_scope_display(),
         "text": canned_fill(canned.body, values=values)}
        for canned in canned_for_chat(user=request.user, chat=chat, query=query)[:PICKER_LIMIT]
    ]
    return JsonResponse({"items": items})


def _own(request, canned_id: int) -> CannedResponse:
    """One of the agent's own responses (staff too manage only their own here; the admin has the rest)."""
    canned = CannedResponse.objects.filter(
        pk=canned_id, scope=CannedResponse.Scope.PERSONAL, owner_id=request.user.pk
    ).first()
    if canned is None:
        raise Http404("No such canned response.")
    return canned


def _save(request, form: CannedResponseForm, *, canned_id: int | None) -> bool:
    try:
        if canned_id is None:
            canned_create(actor=request.user, scope=CannedResponse.Scope.PERSONAL, owner_id=request.user.pk,
                          **form.cleaned_data)
        else:
            canned_update(actor=request.user, canned_id=canned_id, **form.cleaned_data)
    except ApplicationError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, error_text(exc))
        return False
    return True


def _page(request, form: CannedResponseForm, *, editing: CannedResponse | None = None, status: int = 200):
    mine = CannedResponse.objects.filter(scope=CannedResponse.Scope.PERSONAL, owner_id=request.user.pk)
    shared = canned_visible_to(user=request.user).exclude(scope=CannedResponse.Scope.PERSONAL)
    return render(request, "inbox/canned.html", {
        "form": form, "editing": editing, "mine": mine.order_by("shortcut"),
        "shared": shared.order_by("scope", "queue__name", "shortcut"),
    }, status=status)


@require_http_methods(["GET", "POST"])
@agent_view
def canned_list(request):
    """The agent's own responses, the form of a new one, and (to read) those shared with him."""
    if request.method == "POST":
        form = CannedResponseForm(request.POST)
        if form.is_valid() and _save(request, form, canned_id=None):
            messages.success(request, _("The canned response /%(shortcut)s was saved.")
                             % {"shortcut": form.cleaned_data["shortcut"].lstrip("/")})
            return HttpResponseRedirect(reverse("inbox:canned"))
        return _page(request, form, status=400)
    return _page(request, CannedResponseForm())


@require_http_methods(["GET", "POST"])
@agent_view
def canned_edit(request, canned_id: int):
    canned = _own(request, canned_id)
    if request.method == "POST":
        form = CannedResponseForm(request.POST)
        if form.is_valid() and _save(request, form, canned_id=canned.pk):
            messages.success(request, _("The canned response /%(shortcut)s was saved.")
                             % {"shortcut": form.cleaned_data["shortcut"].lstrip("/")})
            return HttpResponseRedirect(reverse("inbox:canned"))
        return _page(request, form, editing=canned, status=400)
    form = CannedResponseForm(initial={"shortcut": canned.shortcut, "title": canned.title, "body": canned.body})
    return _page(request, form, editing=canned)


@require_POST
@agent_view
def canned_remove(request, canned_id: int):
    canned = _own(request, canned_id)
    try:
        canned_delete(actor=request.user, canned_id=canned.pk)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The canned response /%(shortcut)s was deleted.") % {"shortcut": canned.shortcut})
    return HttpResponseRedirect(reverse("inbox:canned"))

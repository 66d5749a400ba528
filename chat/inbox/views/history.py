"""History at hand (issue 14, point 5): search the chats the agent may see, read an earlier chat of the customer,
e-mail a chat's transcript to the visitor."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chat.inbox import selectors
from chat.inbox.views.common import agent_view, error_text, htmx_redirect
from chat.services.chats import chat_transcript_send
from core.errors import ApplicationError


@require_GET
@agent_view
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    results = selectors.inbox_search(user=request.user, query=query) if query else []
    return render(request, "inbox/search.html", {
        "query": query,
        "results": results,
        "too_short": bool(query) and len(query) < selectors.SEARCH_MIN_LENGTH,
        "limit": selectors.SEARCH_LIMIT,
    })


@require_GET
@agent_view
def history_detail(request, chat_id: int, earlier_id: int):
    """An earlier chat of the open chat's customer, read-only: whoever may see the chat may read what its card
    lists (``inbox_customer_history``, verified identities only), and nothing else."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    earlier = selectors.inbox_history_chat_get(chat=chat, earlier_id=earlier_id)
    return render(request, "inbox/history.html", {
        "chat": chat,
        "earlier": earlier,
        "earlier_messages": selectors.inbox_history_messages(chat=earlier),
    })


@require_POST
@agent_view
def transcript_send(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    try:
        recipient = chat_transcript_send(chat_id=chat.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The transcript was sent to %(email)s.") % {"email": recipient})
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))

"""Chat actions of the inbox: close, transfer, assign ("Assign" on a waiting chat), confirm the customer, add
the visitor to the CRM or edit his customer (the card), start an internal chat with a colleague."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chat.inbox import selectors
from chat.inbox.forms import CloseForm, CustomerForm, InternalChatForm, TransferForm
from chat.inbox.views.common import agent_view, error_text, htmx_redirect
from chat.inbox.views.pages import _page, customer_card_forms
from chat.models import Chat
from chat.services.chats import (
    chat_assign,
    chat_close,
    chat_customer_confirm,
    chat_customer_create,
    chat_start,
    chat_transfer,
)
from chat.services.permissions import default_close_reason
from core.errors import ApplicationError
from crm.services import customer_update


@require_POST
@agent_view
def chat_close_view(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the active dispositions."))
        return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))
    try:
        chat_close(chat_id=chat.pk, reason=default_close_reason(user=request.user, chat=chat), actor=request.user,
                   disposition_id=form.cleaned_data["disposition"])
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))
    messages.success(request, _("The chat is closed."))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def chat_transfer_view(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    agents, queues = selectors.inbox_transfer_targets(user=request.user)
    form = TransferForm(request.POST, agents=agents, queues=queues)
    if not form.is_valid():
        messages.error(request, _("Choose an agent or a queue."))
        return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))
    try:
        chat_transfer(chat_id=chat.pk, actor=request.user, note=form.cleaned_data["note"],
                      **form.cleaned_data["target"])
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))
    messages.success(request, _("The chat was transferred."))
    return htmx_redirect(request, reverse("inbox:index"))


@require_POST
@agent_view
def chat_assign_view(request, chat_id: int):
    chat = selectors.inbox_assignable_chat_get(user=request.user, chat_id=chat_id)
    try:
        chat_assign(chat_id=chat.pk, agent_id=request.user.pk, actor=request.user, strategy="manual")
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return htmx_redirect(request, reverse("inbox:index"))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def chat_confirm_customer_view(request, chat_id: int):
    """The "Confirm" button of the customer card: the visitor is the linked CRM customer."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    try:
        chat_customer_confirm(chat_id=chat.pk, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, _("The customer is confirmed."))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def internal_start(request):
    form = InternalChatForm(request.POST)
    if not form.is_valid() or form.cleaned_data["peer"].pk == request.user.pk:
        messages.error(request, _("Choose a colleague."))
        return htmx_redirect(request, reverse("inbox:index"))
    try:
        chat = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=request.user.pk,
                          peer_id=form.cleaned_data["peer"].pk)
    except ApplicationError as exc:
        messages.error(request, error_text(exc))
        return htmx_redirect(request, reverse("inbox:index"))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))


def _refused(request, chat, form, exc: ApplicationError):
    """The card again with the form open and the refusal on its field; a duplicate e-mail names the customer who
    has it (staff get a link to him in the CRM)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, error_text(exc))
    existing = getattr(exc, "existing", None)
    extra = customer_card_forms(chat, request.user, bound=form)
    if existing is not None and request.user.is_staff:
        extra["duplicate_url"] = reverse("admin:crm_customer_change", args=[existing.pk])
    return _page(request, chat=chat, extra=extra)


@require_POST
@agent_view
def chat_customer_create_view(request, chat_id: int):
    """The card's "Add to the CRM": a new customer from the chat, the chat linked to him (the agent's statement)."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    form = CustomerForm(request.POST, staff=request.user.is_staff)
    if not form.is_valid():
        return _page(request, chat=chat, extra=customer_card_forms(chat, request.user, bound=form))
    try:
        chat_customer_create(chat_id=chat.pk, actor=request.user, **form.service_fields())
    except ApplicationError as exc:
        return _refused(request, chat, form, exc)
    messages.success(request, _("The customer is added to the CRM."))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def chat_customer_update_view(request, chat_id: int):
    """The card's "Edit": the chat's verified customer's name, e-mail and phone (owner and VIP: staff)."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    customer = selectors.inbox_card_customer(user=request.user, chat=chat)
    form = CustomerForm(request.POST, staff=request.user.is_staff)
    if not form.is_valid():
        return _page(request, chat=chat, extra=customer_card_forms(chat, request.user, bound=form))
    try:
        customer_update(customer_id=customer.pk, actor=request.user, **form.service_fields())
    except ApplicationError as exc:
        return _refused(request, chat, form, exc)
    messages.success(request, _("The customer is saved."))
    return htmx_redirect(request, reverse("inbox:chat", args=[chat.pk]))

"""The composer (a reply, a file), "send again" on a Messenger reply, and the checked file download."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from chat.downloads import attachment_file_response
from chat.inbox import selectors
from chat.inbox.forms import ReplyForm, UploadForm
from chat.inbox.views.common import agent_view, error_text, is_htmx
from chat.inbox.views.pages import composer_context
from chat.messenger.outbox import message_delivery_retry
from chat.models import Chat, Message
from chat.services.files import AttachmentGone, attachment_create
from chat.services.messages import message_post
from core.bodies import BodyTooLarge
from core.errors import ApplicationError


@require_POST
@agent_view
def message_create(request, chat_id: int):
    selectors.inbox_chat_check(user=request.user, chat_id=chat_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            sender = Message.Sender.NOTE if form.cleaned_data["note"] else Message.Sender.AGENT
            message_post(chat_id=chat_id, sender=sender, body=form.cleaned_data["body"], author=request.user)
        except ApplicationError as exc:
            form.add_error("body", error_text(exc))
        else:
            if is_htmx(request):
                # Sent: the page empties its reply box itself (inbox.js) and fetches the message at once; the
                # reply box is drawn again only to show an error.
                response = HttpResponse(status=204)
                response["HX-Trigger"] = "parley:poll, parley:sent"
                return response
            form = ReplyForm()
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)  # the composer drawn again
    return _composer_response(request, chat, reply_form=form)


@csrf_exempt  # checked by _file_upload, once the body was read here (below)
@require_POST
@agent_view
def file_upload(request, chat_id: int):
    """The body is read here rather than by the CSRF middleware, so that a body over the card's
    limit (refused by chat.bodies.CardLimitUploadHandler before it is read, or stopped at the
    limit) answers 413 with the form's message instead of Django's 400 page."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    try:
        request.FILES  # noqa: B018 - parse the body now
    except RequestDataTooBig as exc:  # the file (BodyTooLarge), or the other fields (Django's own)
        if not isinstance(exc, BodyTooLarge):
            exc = BodyTooLarge(limit_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return _composer_response(request, chat, upload_form=UploadForm.refused(exc.message), status=413)
    return _file_upload(request, chat)


@csrf_protect
def _file_upload(request, chat: Chat):
    form = UploadForm(request.POST, request.FILES)
    status = 200
    if form.is_valid():
        try:
            attachment_create(uploaded_file=form.cleaned_data["file"], chat_id=chat.pk,
                              sender=Message.Sender.AGENT, author_id=request.user.pk)
        except ApplicationError as exc:
            form.add_error("file", error_text(exc))
            status = 413 if exc.code == "too_large" else 200
        else:
            form = UploadForm()
    return _composer_response(request, chat, upload_form=form, status=status)


@require_POST
@agent_view
def message_resend(request, chat_id: int, message_id: int):
    """"Send again" on a Messenger reply whose delivery is unknown or failed; answers the message redrawn."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    message = selectors.inbox_message_get(chat=chat, message_id=message_id)
    error = ""
    try:
        message_delivery_retry(message_id=message.pk, actor=request.user)
    except ApplicationError as exc:
        error = error_text(exc)
    if not is_htmx(request):
        if error:
            messages.error(request, error)
        return HttpResponseRedirect(reverse("inbox:chat", args=[chat.pk]))
    ctx = {"chat": chat, "is_mine": chat.agent_id == request.user.pk, "resend_error": error,
           "m": selectors.inbox_message_get(chat=chat, message_id=message.pk)}
    response = render(request, "inbox/_message.html", ctx)
    response["HX-Trigger"] = "parley:poll"  # the header's counts follow at once
    return response


def _composer_response(request, chat: Chat, *, reply_form=None, upload_form=None, status: int = 200):
    ok = not ((reply_form and reply_form.errors) or (upload_form and upload_form.errors))
    if not is_htmx(request):
        for form in (reply_form, upload_form):
            for errors in (form.errors.values() if form else []):
                for error in errors:
                    messages.error(request, error)
        return HttpResponseRedirect(reverse("inbox:chat", args=[chat.pk]))
    ctx = composer_context(request, chat)
    if reply_form is not None:
        ctx["reply_form"] = reply_form
    if upload_form is not None:
        ctx["upload_form"] = upload_form
    response = render(request, "inbox/_composer.html", ctx, status=status)
    if ok:
        response["HX-Trigger"] = "parley:poll"  # fetch the new message at once
    return response


@require_GET
@agent_view
def file_download(request, token: str):
    attachment = selectors.inbox_attachment_get(user=request.user, token=token)
    try:
        return attachment_file_response(attachment)
    except AttachmentGone as exc:
        return HttpResponse(error_text(exc), status=410, content_type="text/plain; charset=utf-8")

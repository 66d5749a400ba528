"""The agent inbox: server-rendered pages with htmx.

Every view is thin: it parses input, checks that the agent may see the chat
(404 otherwise), calls one service and renders. Live parts (the sidebar with
the presence bar, and the open chat's messages) are polled every 2 s; a poll
answers 204 No Content when nothing changed, so an idle inbox costs a few
small queries and no DOM work (docs/inbox.md says why polling, not SSE).
"""

from __future__ import annotations

import hashlib
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from agents.login import LoginForm
from agents.services import presence_login, presence_logout, presence_update
from chat.bodies import BodyTooLarge
from chat.downloads import attachment_file_response
from chat.inbox import selectors
from chat.inbox.forms import InternalChatForm, PresenceForm, ReplyForm, TransferForm, UploadForm
from chat.inbox.presentation import waited
from chat.messenger.outbox import message_delivery_retry
from chat.models import Chat, ChatSettings, Message
from chat.services.chats import (
    chat_assign,
    chat_close,
    chat_customer_confirm,
    chat_mark_read,
    chat_start,
    chat_transfer,
)
from chat.services.errors import ChatError
from chat.services.files import AttachmentGone, attachment_create
from chat.services.messages import message_post
from chat.services.permissions import default_close_reason, may_close, may_confirm_customer, may_transfer

inbox_login_required = login_required(login_url="inbox:login")


def _is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _redirect(request, url: str) -> HttpResponse:
    """A redirect that htmx follows as a full page load (flash messages show there)."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _digest(text: str) -> str:
    return hashlib.blake2s(text.encode(), digest_size=8).hexdigest()


def agent_view(view):
    """Logged-in users only; the inbox is for agents (every active user may act as one).

    A poll or an action whose session has ended sends the whole page to the login page
    (HX-Redirect) instead of letting htmx swap the login form into a fragment.
    """
    protected = inbox_login_required(view)

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if _is_htmx(request) and not request.user.is_authenticated:
            return _redirect(request, f"{reverse('inbox:login')}?{urlencode({'next': reverse('inbox:index')})}")
        return protected(request, *args, **kwargs)

    return wrapper


# --- login / logout --------------------------------------------------------------


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
        except ChatError as exc:
            messages.warning(self.request, str(exc))
        return response


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        try:
            presence_logout(agent_id=request.user.pk, actor=request.user)
        except ChatError:
            pass
    auth_logout(request)
    return _redirect(request, reverse("inbox:login"))


# --- the page and its live parts -------------------------------------------------


def _sidebar_context(request, *, current_chat_id: int | None) -> dict:
    user = request.user
    waiting, waiting_total = selectors.inbox_waiting_chats(user=user)
    for chat in waiting:
        chat.waited = waited(chat.queued_at)
    my_chats = list(selectors.inbox_my_chats(user=user))
    internal_chats = list(selectors.inbox_internal_chats(user=user))
    return {
        "presence": selectors.inbox_presence(user=user),
        "pause_types": selectors.inbox_pause_types(),
        "my_chats": my_chats,
        "internal_chats": internal_chats,
        "unread_total": sum(c.unread for c in my_chats + internal_chats),
        "waiting_chats": waiting,
        "waiting_total": waiting_total,
        "current_chat_id": current_chat_id,
        "max_chats": ChatSettings.load().max_concurrent_chats,
    }


def _render_sidebar(request, *, current_chat_id: int | None) -> tuple[str, str, str]:
    """The sidebar and the presence bar as HTML (no CSRF tokens inside: htmx sends the header), and their digest."""
    ctx = _sidebar_context(request, current_chat_id=current_chat_id)
    presence_html = render_to_string("inbox/_presence.html", ctx, request=request)
    body_html = render_to_string("inbox/_sidebar_body.html", ctx, request=request)
    version = _digest(presence_html + body_html)
    ctx.update(version=version, sidebar_body=body_html, presence_html=presence_html)
    sidebar_html = render_to_string("inbox/_sidebar.html", ctx, request=request)
    return version, sidebar_html, presence_html


def _delivery(chat: Chat) -> dict:
    """The chat's Messenger replies that may still change: counts for the header, and what the open
    page watches (from the oldest of them on; everything before it is settled)."""
    states = selectors.inbox_delivery_states(chat=chat)
    return {
        "undelivered": sum(1 for _id, status in states if status == Message.Delivery.FAILED),
        "unconfirmed": sum(1 for _id, status in states if status == Message.Delivery.UNKNOWN),
        "watch_from": states[0][0] if states else 0,
        "fingerprint": ",".join(f"{pk}:{status}" for pk, status in states),
    }


def _chat_state(chat: Chat, user, delivery: dict) -> str:
    return _digest(
        f"{chat.status}|{chat.agent_id}|{chat.queue_id}|{chat.auto_assign_stopped_at}|{user.pk}"
        f"|{delivery['fingerprint']}"
        f"|{chat.customer_id}|{chat.customer_verified}"
    )


def _chat_context(request, chat: Chat, *, delivery: dict | None = None) -> dict:
    user = request.user
    msgs = selectors.inbox_messages(chat=chat)
    agents, queues = selectors.inbox_transfer_targets(user=user)
    card = ChatSettings.load()
    delivery = delivery if delivery is not None else _delivery(chat)
    return {
        "chat": chat,
        "chat_messages": msgs,
        "last_message_id": msgs[-1].id if msgs else 0,
        "chat_state": _chat_state(chat, user, delivery),
        "undelivered": delivery["undelivered"],
        "unconfirmed": delivery["unconfirmed"],
        "watch_from": delivery["watch_from"],
        "is_mine": chat.agent_id == user.pk,
        "is_internal": chat.channel == Chat.Channel.INTERNAL,
        # The buttons follow the services' own rules (chat.services.permissions).
        "can_transfer": chat.is_open and chat.channel != Chat.Channel.INTERNAL and may_transfer(user=user, chat=chat),
        "can_close": chat.is_open and may_close(user=user, chat=chat),
        "can_confirm_customer": bool(chat.customer_id) and not chat.customer_verified
        and may_confirm_customer(user=user, chat=chat),
        # A typed e-mail is a claim: the customer's details wait for a verified link.
        "customer_unverified": bool(chat.customer_id) and not chat.customer_verified,
        "peer": _internal_peer(chat, user),
        "history": selectors.inbox_customer_history(chat=chat),
        "crm_url": _crm_url(chat),
        "transfer_agents": agents,
        "transfer_queues": queues,
        "reply_form": ReplyForm(),
        "upload_form": UploadForm(),
        "files_enabled": card.file_upload_enabled,
        "file_max_size_mb": card.file_max_size_mb,
        "file_download_hours": card.file_download_hours,
    }


def _internal_peer(chat: Chat, user):
    if chat.channel != Chat.Channel.INTERNAL:
        return None
    return chat.initiator if chat.agent_id == user.pk else chat.agent


def _crm_url(chat: Chat) -> str:
    """Open the customer in the CRM (admin change page) or create him there, prefilled from the chat.
    None while the link is a claim: the CRM card waits until the link is verified."""
    try:
        if chat.customer_id:
            if not chat.customer_verified:
                return ""
            return reverse("admin:crm_customer_change", args=[chat.customer_id])
        if chat.channel == Chat.Channel.INTERNAL:
            return ""
        base = reverse("admin:crm_customer_add")
    except NoReverseMatch:
        return ""
    initial = {"name": chat.visitor_name, "email": chat.visitor_email, "messenger_id": chat.visitor_messenger_id}
    query = urlencode({k: v for k, v in initial.items() if v})
    return f"{base}?{query}" if query else base


def _page(request, *, chat: Chat | None, status: int = 200):
    version, sidebar_html, presence_html = _render_sidebar(request, current_chat_id=chat.pk if chat else None)
    ctx = {
        "sidebar_html": sidebar_html,
        "presence_html": presence_html,
        "chat": chat,
        "internal_form": InternalChatForm(),
        "colleagues": selectors.inbox_colleagues(user=request.user),
    }
    if chat is not None:
        ctx.update(_chat_context(request, chat))
    return render(request, "inbox/index.html", ctx, status=status)


@require_GET
@agent_view
def index(request):
    return _page(request, chat=None)


@require_GET
@agent_view
def chat_detail(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    if chat.agent_id == request.user.pk and chat.is_open:
        chat_mark_read(chat_id=chat.pk, agent_id=request.user.pk)
    return _page(request, chat=chat)


@require_GET
@agent_view
def live(request):
    """The sidebar poll: 204 when nothing changed, else the new sidebar and (out of band) the presence bar."""
    current = request.GET.get("chat")
    current_chat_id = int(current) if current and current.isdigit() else None
    version, sidebar_html, presence_html = _render_sidebar(request, current_chat_id=current_chat_id)
    if request.GET.get("v") == version:
        return HttpResponse(status=204)
    oob = presence_html.replace('id="presence-bar"', 'id="presence-bar" hx-swap-oob="true"', 1)
    return HttpResponse(sidebar_html + oob)


@require_GET
@agent_view
def chat_poll(request, chat_id: int):
    """The open chat's poll: new messages after ``after``; the header and composer again when the chat changed,
    and then also the Messenger replies from ``w`` on (the oldest one whose delivery could still change)."""
    try:
        chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    except Http404:
        messages.info(request, _("This chat is no longer in your inbox."))
        return _redirect(request, reverse("inbox:index"))
    after, watch_from = _int_param(request, "after"), _int_param(request, "w")
    delivery = _delivery(chat)
    state = _chat_state(chat, request.user, delivery)
    new = selectors.inbox_messages(chat=chat, after_id=after)
    state_changed = request.GET.get("s") != state
    if not new and not state_changed:
        return HttpResponse(status=204)
    if new and chat.agent_id == request.user.pk and chat.is_open:
        chat_mark_read(chat_id=chat.pk, agent_id=request.user.pk)
    ctx = _chat_context(request, chat, delivery=delivery)
    ctx.update(
        new_messages=new,
        last_message_id=new[-1].id if new else after,
        state_changed=state_changed,
        redrawn_messages=(
            selectors.inbox_outgoing_messages(chat=chat, from_id=watch_from, to_id=after)
            if state_changed and watch_from and after else []
        ),
    )
    return render(request, "inbox/_chat_poll.html", ctx)


def _int_param(request, name: str) -> int:
    try:
        return max(int(request.GET.get(name, "0")), 0)
    except ValueError:
        return 0


# --- actions ----------------------------------------------------------------------


def _error_text(exc: ChatError) -> str:
    return str(exc)  # the translated message with its parameters filled in


@require_POST
@agent_view
def message_create(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            message_post(chat_id=chat.pk, sender=Message.Sender.AGENT, body=form.cleaned_data["body"],
                         author_id=request.user.pk)
        except ChatError as exc:
            form.add_error("body", _error_text(exc))
        else:
            form = ReplyForm()
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
        except ChatError as exc:
            form.add_error("file", _error_text(exc))
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
    except ChatError as exc:
        error = _error_text(exc)
    if not _is_htmx(request):
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
    if not _is_htmx(request):
        for form in (reply_form, upload_form):
            for errors in (form.errors.values() if form else []):
                for error in errors:
                    messages.error(request, error)
        return HttpResponseRedirect(reverse("inbox:chat", args=[chat.pk]))
    ctx = _chat_context(request, chat)
    if reply_form is not None:
        ctx["reply_form"] = reply_form
    if upload_form is not None:
        ctx["upload_form"] = upload_form
    response = render(request, "inbox/_composer.html", ctx, status=status)
    if ok:
        response["HX-Trigger"] = "parley:poll"  # fetch the new message at once
    return response


@require_POST
@agent_view
def chat_close_view(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    try:
        chat_close(chat_id=chat.pk, reason=default_close_reason(user=request.user, chat=chat), actor=request.user)
    except ChatError as exc:
        messages.error(request, _error_text(exc))
        return _redirect(request, reverse("inbox:chat", args=[chat.pk]))
    messages.success(request, _("The chat is closed."))
    return _redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def chat_transfer_view(request, chat_id: int):
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    agents, queues = selectors.inbox_transfer_targets(user=request.user)
    form = TransferForm(request.POST, agents=agents, queues=queues)
    if not form.is_valid():
        messages.error(request, _("Choose an agent or a queue."))
        return _redirect(request, reverse("inbox:chat", args=[chat.pk]))
    try:
        chat_transfer(chat_id=chat.pk, actor=request.user, **form.cleaned_data["target"])
    except ChatError as exc:
        messages.error(request, _error_text(exc))
        return _redirect(request, reverse("inbox:chat", args=[chat.pk]))
    messages.success(request, _("The chat was transferred."))
    return _redirect(request, reverse("inbox:index"))


@require_POST
@agent_view
def chat_assign_view(request, chat_id: int):
    chat = selectors.inbox_assignable_chat_get(user=request.user, chat_id=chat_id)
    try:
        chat_assign(chat_id=chat.pk, agent_id=request.user.pk, actor=request.user, strategy="manual")
    except ChatError as exc:
        messages.error(request, _error_text(exc))
        return _redirect(request, reverse("inbox:index"))
    return _redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def chat_confirm_customer_view(request, chat_id: int):
    """The "Confirm" button of the customer card: the visitor is the linked CRM customer."""
    chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    try:
        chat_customer_confirm(chat_id=chat.pk, actor=request.user)
    except ChatError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("The customer is confirmed."))
    return _redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_POST
@agent_view
def presence_view(request):
    form = PresenceForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a pause type."))
        return _redirect(request, _safe_next(request))
    action = form.cleaned_data["action"]
    if action == PresenceForm.LOGOUT:
        return logout_view(request)
    pause = form.cleaned_data.get("pause_type") if action == PresenceForm.PAUSE else None
    try:
        presence_update(agent_id=request.user.pk, logged_in=True, pause_type_id=pause.pk if pause else None,
                        actor=request.user)
    except ChatError as exc:
        messages.error(request, _error_text(exc))
    return _redirect(request, _safe_next(request))


def _safe_next(request) -> str:
    """The ``next`` of a form, only when it stays on this site; the inbox otherwise (never another host)."""
    from django.utils.http import url_has_allowed_host_and_scheme

    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(
        nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return nxt
    return reverse("inbox:index")


@require_POST
@agent_view
def internal_start(request):
    form = InternalChatForm(request.POST)
    if not form.is_valid() or form.cleaned_data["peer"].pk == request.user.pk:
        messages.error(request, _("Choose a colleague."))
        return _redirect(request, reverse("inbox:index"))
    try:
        chat = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=request.user.pk,
                          peer_id=form.cleaned_data["peer"].pk)
    except ChatError as exc:
        messages.error(request, _error_text(exc))
        return _redirect(request, reverse("inbox:index"))
    return _redirect(request, reverse("inbox:chat", args=[chat.pk]))


@require_GET
@agent_view
def file_download(request, token: str):
    attachment = selectors.inbox_attachment_get(user=request.user, token=token)
    try:
        return attachment_file_response(attachment)
    except AttachmentGone as exc:
        return HttpResponse(_error_text(exc), status=410, content_type="text/plain; charset=utf-8")

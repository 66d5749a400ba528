"""The inbox page and its live parts: the sidebar (with the presence bar) and the open chat, each polled."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agents.services import LIVE_SEEN_EVERY, presence_live_seen
from chat.inbox import selectors
from chat.inbox.forms import CustomerForm, InternalChatForm, ReplyForm, UploadForm
from chat.inbox.presentation import countdown, seconds_left, waited
from chat.inbox.versions import chat_token, chat_versions, poll_unchanged, sidebar_token, sidebar_versions
from chat.inbox.views.common import agent_view, digest, htmx_redirect
from chat.models import Chat, ChatSettings, Message
from chat.selectors import (
    chat_held_opening,
    chat_self_assign_refusal,
    chat_timeline,
    chat_transfer_note,
    chat_waiting_reason,
    dispositions_active,
    held_openings,
    opening_words,
)
from chat.services.chats import chat_mark_read, chat_transcript_recipient, may_create_customer
from chat.services.permissions import (
    default_close_reason,
    may_close,
    may_confirm_customer,
    may_supervise,
    may_transfer,
)
from chat.services.rules import unanswered_transfer_at


def _sidebar_context(request, *, current_chat_id: int | None) -> dict:
    user = request.user
    waiting, waiting_total = selectors.inbox_waiting_chats(user=user)
    openings = held_openings(chats=waiting)
    for chat in waiting:
        chat.waited = waited(chat.queued_at)
        chat.held_opens = opening_words(openings[chat.pk]) if chat.pk in openings else ""
    card = ChatSettings.load()
    my_chats = list(selectors.inbox_my_chats(user=user))
    for chat in my_chats:
        chat.transfer_at = unanswered_transfer_at(chat=chat, card=card)  # the countdown of an unanswered chat
        chat.transfer_left = seconds_left(chat.transfer_at) if chat.transfer_at else 0
        chat.transfer_in = countdown(chat.transfer_left)
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
        "max_chats": card.max_concurrent_chats,
    }


def _render_sidebar(request, *, current_chat_id: int | None) -> tuple[str, str, str, str]:
    """The sidebar and the presence bar as HTML (no CSRF tokens inside: htmx sends the header), their digest, and
    the versions they were rendered at (read first: ``chat.inbox.versions``)."""
    versions = sidebar_versions(user=request.user)
    ctx = _sidebar_context(request, current_chat_id=current_chat_id)
    waiting_since = [chat.queued_at for chat in ctx["waiting_chats"]]
    token = sidebar_token(user=request.user, versions=versions, waiting_since=waiting_since)
    presence_html = render_to_string("inbox/_presence.html", ctx, request=request)
    body_html = render_to_string("inbox/_sidebar_body.html", ctx, request=request)
    version = digest(presence_html + body_html)
    ctx.update(version=version, sidebar_body=body_html, presence_html=presence_html, live_token=token)
    sidebar_html = render_to_string("inbox/_sidebar.html", ctx, request=request)
    return version, sidebar_html, presence_html, token


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


def _waiting(chat: Chat, user, card: ChatSettings) -> dict:
    """A waiting chat's truthful state for its page: why it waits (``chat_waiting_reason``) and whether "Assign"
    would work for this agent (``chat_self_assign_refusal``: the button only where the service accepts it)."""
    if chat.status != Chat.Status.WAITING:
        return {"waiting_reason": None, "can_assign": False, "assign_refusal": "", "waiting_opens": ""}
    refusal = chat_self_assign_refusal(user=user, chat=chat, card=card)
    return {
        "waiting_reason": chat_waiting_reason(chat=chat, card=card),
        "waiting_opens": chat_held_opening(chat=chat),  # a chat held for business hours: "opens Mon 08:00"
        "can_assign": not refusal,
        "assign_refusal": refusal,
        "max_chats": card.max_concurrent_chats,
    }


def _chat_state(chat: Chat, user, delivery: dict, waiting: dict) -> str:
    return digest(
        f"{chat.status}|{chat.agent_id}|{chat.queue_id}|{chat.auto_assign_stopped_at}|{user.pk}"
        f"|{delivery['fingerprint']}"
        f"|{chat.customer_id}|{chat.customer_verified}|{chat.rating}"
        f"|{waiting['waiting_reason']}|{waiting['assign_refusal']}|{waiting.get('waiting_opens', '')}"
    )


def chat_context(
    request, chat: Chat, *, delivery: dict | None = None, token: str | None = None, waiting: dict | None = None
) -> dict:
    user = request.user
    token = token or chat_token(user=user, chat_id=chat.pk, waiting=chat.status == Chat.Status.WAITING)
    msgs = selectors.inbox_messages(chat=chat)
    agents, queues = selectors.inbox_transfer_targets(user=user)
    card = ChatSettings.load()
    delivery = delivery if delivery is not None else _delivery(chat)
    waiting = waiting if waiting is not None else _waiting(chat, user, card)
    return {
        **waiting,
        "chat": chat,
        "chat_messages": msgs,
        "last_message_id": msgs[-1].id if msgs else 0,
        "chat_state": _chat_state(chat, user, delivery, waiting),
        "chat_token": token,
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
        "customer_ratings": selectors.inbox_customer_ratings(chat=chat),
        "transcript_to": "" if chat.channel == Chat.Channel.INTERNAL else chat_transcript_recipient(chat),
        "crm_url": _crm_url(chat, user),
        **customer_card_forms(chat, user),
        "transfer_agents": agents,
        "transfer_queues": queues,
        "reply_form": ReplyForm(),
        # Issue 14: the note of the transfer that brought the chat here, and the close dialog's list.
        "transfer_note": chat_transfer_note(chat=chat),
        # Issue 15: "why this agent" — the customer chat's events in plain words, for whoever may see the chat.
        **_timeline(chat),
        "dispositions": list(dispositions_active()) if chat.is_open else [],
        "disposition_required": card.disposition_required and chat.channel != Chat.Channel.INTERNAL
        and chat.is_open and default_close_reason(user=user, chat=chat) == Chat.CloseReason.AGENT,
        "upload_form": UploadForm(),
        "files_enabled": card.file_upload_enabled,
        "file_max_size_mb": card.file_max_size_mb,
        "file_download_hours": card.file_download_hours,
        "supervisor": _supervisor_panel(chat, user, card),
    }


def _supervisor_panel(chat: Chat, user, card: ChatSettings) -> dict | None:
    """The "Supervisor" panel of a customer chat's page, for staff (the actions of ``chat.services.supervision``,
    posted to the ``supervisor:`` views, which come back to this page). None for anybody else."""
    if not may_supervise(user=user) or chat.channel == Chat.Channel.INTERNAL:
        return None
    watchers = selectors.inbox_chat_watchers(chat=chat)
    mine = chat.status == Chat.Status.ASSIGNED and chat.agent_id == user.pk
    return {
        "next": reverse("inbox:chat", args=[chat.pk]),
        "watchers": watchers,
        "watching": any(w.pk == user.pk for w in watchers),
        "can_assign": chat.is_open,
        "can_whisper": chat.status == Chat.Status.ASSIGNED and not mine,
        "can_take_over": chat.is_open and not mine,
        "max_chats": card.max_concurrent_chats,
    }


def _timeline(chat: Chat) -> dict:
    show = chat.channel != Chat.Channel.INTERNAL
    return {"show_timeline": show, "timeline": chat_timeline(chat=chat) if show else []}


def composer_context(request, chat: Chat) -> dict:
    """What the composer alone needs (its answer to a reply or an upload): not the chat's messages, history or
    transfer targets (``chat_context``)."""
    card = ChatSettings.load()
    return {
        **_waiting(chat, request.user, card),
        "chat": chat,
        "is_mine": chat.agent_id == request.user.pk,
        "is_internal": chat.channel == Chat.Channel.INTERNAL,
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


def _crm_url(chat: Chat, user) -> str:
    """Staff open the chat's (verified) customer in the CRM's admin page; agents have no admin (they add and
    edit the customer in the card itself: ``customer_card_forms``). None while the link is a claim."""
    if not user.is_staff or not chat.customer_id or not chat.customer_verified:
        return ""
    try:
        return reverse("admin:crm_customer_change", args=[chat.customer_id])
    except NoReverseMatch:
        return ""


def customer_card_forms(chat: Chat, user, *, bound=None) -> dict:
    """The customer card's forms: "Add to the CRM" (prefilled from the chat's visitor) when the chat is linked to
    nobody and the user may create him (the service's rule), "Edit" when the link is verified (an agent who sees
    the chat sees its verified customer: ``customers_visible_to``). ``bound``: a refused form, shown open."""
    staff = bool(user.is_staff)
    can_create = chat.channel != Chat.Channel.INTERNAL and may_create_customer(user=user, chat=chat)
    can_edit = chat.channel != Chat.Channel.INTERNAL and bool(chat.customer_id) and chat.customer_verified
    form = bound
    if form is None and can_create:
        form = CustomerForm(staff=staff, initial={"name": chat.visitor_name, "email": chat.visitor_email})
    elif form is None and can_edit:
        c = chat.customer
        form = CustomerForm(
            staff=staff,
            initial={"name": c.name, "email": c.email or "", "phone": c.phone, "owner": c.owner_id, "vip": c.vip},
        )
    return {"can_create_customer": can_create, "can_edit_customer": can_edit, "customer_form": form,
            "customer_form_open": bound is not None}


def _page(request, *, chat: Chat | None, status: int = 200, extra: dict | None = None):
    _heartbeat(request)  # opening the inbox is a sign of it too
    _version, sidebar_html, presence_html, _token = _render_sidebar(
        request, current_chat_id=chat.pk if chat else None
    )
    ctx = {
        "sidebar_html": sidebar_html,
        "presence_html": presence_html,
        "chat": chat,
        "internal_form": InternalChatForm(),
        "colleagues": selectors.inbox_colleagues(user=request.user),
        "live_heartbeat_seconds": settings.LIVE_HEARTBEAT_SECONDS,
    }
    if chat is not None:
        ctx.update(chat_context(request, chat))
    ctx.update(extra or {})
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
def live(request):
    """The sidebar poll: 204 when no version it follows moved (``chat.inbox.versions``: no user, no query, no
    template), else the full check."""
    _heartbeat(request)
    if poll_unchanged(request):
        return HttpResponse(status=204)
    return _live(request)


# When this process last passed an agent's poll on as a sign of his inbox (time.time(), which a test's clock moves).
_beaten: dict[str, float] = {}


def _heartbeat(request) -> None:
    """Every sidebar poll is a sign of the open inbox, so presence follows the inbox whether it is pushed to or
    polls (behind a proxy that blocks WebSockets). A process passes it on at most once per agent in
    ``LIVE_SEEN_EVERY``, the interval in which ``presence_live_seen`` writes at most once anyway; the session's
    user id, like ``poll_unchanged``: no user row is read."""
    user_id = request.session.get(SESSION_KEY)
    if not user_id:
        return
    now = time.time()
    if now - _beaten.get(user_id, 0.0) < LIVE_SEEN_EVERY.total_seconds():
        return
    _beaten[user_id] = now
    presence_live_seen(agent_id=user_id)


@agent_view
def _live(request):
    """The sidebar poll's full path: 204 when the sidebar is the same and the page already has the current
    versions, else the new sidebar (with them) and (out of band) the presence bar."""
    current = request.GET.get("chat")
    current_chat_id = int(current) if current and current.isdigit() else None
    version, sidebar_html, presence_html, token = _render_sidebar(request, current_chat_id=current_chat_id)
    if request.GET.get("v") == version and request.GET.get("t", token) == token:
        return HttpResponse(status=204)
    oob = presence_html.replace('id="presence-bar"', 'id="presence-bar" hx-swap-oob="true"', 1)
    return HttpResponse(sidebar_html + oob)


@require_GET
def chat_poll(request, chat_id: int):
    """The open chat's poll: 204 when the chat's version did not move (``chat.inbox.versions``), else the full
    path."""
    if poll_unchanged(request):
        return HttpResponse(status=204)
    return _chat_poll(request, chat_id)


@agent_view
def _chat_poll(request, chat_id: int):
    """New messages after ``after``; the header and composer again when the chat changed, and then also the
    Messenger replies from ``w`` on (the oldest one whose delivery could still change). Nothing new: 204 when the
    page has the current version, else only the poll element with it."""
    versions = chat_versions(chat_id=chat_id)  # before the chat's queries
    try:
        chat = selectors.inbox_chat_get(user=request.user, chat_id=chat_id)
    except Http404:
        messages.info(request, _("This chat is no longer in your inbox."))
        return htmx_redirect(request, reverse("inbox:index"))
    waiting_chat = chat.status == Chat.Status.WAITING
    token = chat_token(user=request.user, chat_id=chat_id, versions=versions, waiting=waiting_chat)
    after, watch_from = _int_param(request, "after"), _int_param(request, "w")
    delivery = _delivery(chat)
    waiting = _waiting(chat, request.user, ChatSettings.load())
    state = _chat_state(chat, request.user, delivery, waiting)
    new = selectors.inbox_messages(chat=chat, after_id=after)
    state_changed = request.GET.get("s") != state
    if not new and not state_changed:
        if request.GET.get("t", token) == token:
            return HttpResponse(status=204)
        sentinel = {"chat": chat, "last_message_id": after, "chat_state": state, "watch_from": watch_from,
                    "chat_token": token}
        return render(request, "inbox/_poll_sentinel.html", sentinel)
    if chat.agent_id == request.user.pk and chat.is_open and any(m.author_id != request.user.pk for m in new):
        # Someone else wrote (his own replies leave his unread counts as they are).
        chat_mark_read(chat_id=chat.pk, agent_id=request.user.pk)
    if not state_changed:
        # Only new messages (the push's usual case): the header and the reply box stay as they are, so none of
        # the page's other queries (every message, transfer targets, the customer's history) run.
        only_new = {"chat": chat, "new_messages": new, "last_message_id": new[-1].id, "chat_state": state,
                    "watch_from": delivery["watch_from"], "chat_token": token, "state_changed": False}
        return render(request, "inbox/_chat_poll.html", only_new)
    ctx = chat_context(request, chat, delivery=delivery, token=token, waiting=waiting)
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

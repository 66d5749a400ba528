"""Chats, read-only: they change only through the chat services (the "close" action calls ``chat_close``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chat.models import AGENT_STRATEGY_CHOICES, Chat, ChatEvent, Disposition, Message
from chat.selectors import chat_timeline
from chat.services.chats import chat_close
from chat.services.errors import ChatError
from core.admin_base import ReadOnlyAdminMixin, ReadOnlyInline


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "sender", "author", "body", "attachment_list", "delivery_status")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("author").prefetch_related("attachments")

    @admin.display(description=_("attachments"))
    def attachment_list(self, obj):
        return ", ".join(attachment.original_name for attachment in obj.attachments.all()) or "—"


STRATEGY_LABELS = {**dict(AGENT_STRATEGY_CHOICES), "manual": _("Manual")}


class ChatEventInline(ReadOnlyInline):
    model = ChatEvent
    fields = ("created_at", "kind", "agent", "from_agent", "queue", "decided_by", "reason", "actor")
    readonly_fields = fields

    @admin.display(description=_("decided by"))
    def decided_by(self, obj):
        return STRATEGY_LABELS.get(obj.strategy, obj.strategy) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("agent", "from_agent", "queue", "actor")


@admin.action(permissions=["close"], description=_("Close the selected chats"))
def close_chats(modeladmin, request, queryset):
    """Close open chats through ``chat_close`` (reason "admin"): system message, slot freed, history kept."""
    closed = 0
    for chat_id in queryset.exclude(status=Chat.Status.CLOSED).values_list("id", flat=True):
        try:
            chat_close(chat_id=chat_id, reason=Chat.CloseReason.ADMIN, actor=request.user)
            closed += 1
        except ChatError:
            pass  # closed meanwhile by someone else: fine
    modeladmin.message_user(
        request,
        ngettext("%(n)d chat was closed.", "%(n)d chats were closed.", closed) % {"n": closed},
        messages.SUCCESS if closed else messages.WARNING,
    )


def _cut(text: str, limit: int = 32):
    """A list cell of at most ``limit`` characters, the whole text in its title."""
    if len(text) <= limit:
        return text
    return format_html('<span title="{}">{}…</span>', text, text[: limit - 1])


def _short(moment):
    return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else "—"


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # Fits a 1366 px laptop between the admin's menu and the filters (~720 px): the label names the channel, long
    # names are cut with an ellipsis (full text in the title) and may wrap, dates are short and do not
    # (static/parley/admin/admin.css); the chat's page has everything.
    list_display = ("chat_label", "status", "queue_label", "customer_label", "agent", "created", "closed")
    list_filter = ("status", "channel", "queue", "disposition", "rating")
    search_fields = ("visitor_name", "visitor_email", "customer__name", "customer__email", "agent__username")
    list_select_related = ("queue", "customer", "agent")
    date_hierarchy = "created_at"
    inlines = [MessageInline, ChatEventInline]
    actions = [close_chats]

    @admin.display(description=_("chat"), ordering="id")
    def chat_label(self, obj):
        return _cut(str(obj))

    @admin.display(description=_("queue"), ordering="queue__name")
    def queue_label(self, obj):
        return _cut(str(obj.queue), 24) if obj.queue_id else "—"

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_label(self, obj):
        return _cut(str(obj.customer)) if obj.customer_id else "—"

    @admin.display(description=_("created at"), ordering="created_at")
    def created(self, obj):
        return _short(obj.created_at)

    @admin.display(description=_("closed at"), ordering="closed_at")
    def closed(self, obj):
        return _short(obj.closed_at)

    @admin.display(description=_("what happened"))
    def timeline(self, obj):
        """The chat's events in plain words (``chat_timeline``, as in the inbox and the API): why each agent, why
        each transfer, why the close; the table of events below has the raw columns."""
        entries = chat_timeline(chat=obj)
        if not entries:
            return "—"
        rows = format_html_join(
            "",
            '<li data-kind="{}"><time datetime="{}">{}</time> <b>{}</b> {}</li>',
            (
                (e.kind, e.at.isoformat(), date_format(timezone.localtime(e.at), "SHORT_DATE_FORMAT") + " "
                 + timezone.localtime(e.at).strftime("%H:%M:%S"), e.kind_label, e.text)
                for e in entries
            ),
        )
        return format_html('<ol class="chat-timeline" data-testid="admin-timeline">{}</ol>', rows)

    def has_close_permission(self, request):
        # Closing is a change of the chat's state, done by the chat service.
        return request.user.has_perm("chat.change_chat")
    fieldsets = [
        (None, {"fields": ["channel", "status", "queue", "customer", "customer_verified", "customer_verified_via",
                           "agent", "initiator"]}),
        (_("Timeline"), {"fields": ["timeline"]}),
        (_("Visitor"), {"fields": ["visitor_name", "visitor_email", "visitor_messenger_id", "page_url"]}),
        (
            _("Times"),
            {
                "fields": [
                    "created_at",
                    "queued_at",
                    "assigned_at",
                    "auto_assign_stopped_at",
                    "page_closed_at",
                    "last_client_message_at",
                    "last_message_at",
                    "closed_at",
                    "close_reason",
                    "disposition",
                ]
            },
        ),
        # The visitor's rating (docs/ratings.md): read-only like the rest, written only by chat_rate.
        (_("Satisfaction rating"), {"fields": ["rating", "rating_comment", "rated_at"]}),
    ]


@admin.register(Disposition)
class DispositionAdmin(admin.ModelAdmin):
    """The list a person closing a chat chooses from. A disposition already used cannot be deleted (the reports
    keep it): switch it off instead."""

    list_display = ("name", "active", "order")
    list_editable = ("active", "order")
    list_filter = ("active",)
    search_fields = ("name",)
    ordering = ("order", "name")

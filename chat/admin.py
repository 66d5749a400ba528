"""Admin of the chat module: the parameter card on one page, queues, chats (read-only).

The admin is a thin way in: the card is saved through ``chat_settings_update``
and ``strategy_order_set``; chats change only through the chat services.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from chat.admin_base import ReadOnlyAdminMixin, ReadOnlyInline, ServiceDeleteMixin
from chat.forms import (
    AgentStrategyOrderFormSet,
    ChatSettingsForm,
    ChatStrategyOrderFormSet,
    StrategyOrderFormSet,
    StrategyStepForm,
)
from chat.models import (
    AGENT_STRATEGY_CHOICES,
    AgentStrategyStep,
    Chat,
    ChatEvent,
    ChatSettings,
    ChatStrategyStep,
    Message,
    Queue,
    QueueMembership,
)
from chat.services.chats import chat_close
from chat.services.errors import ChatError
from chat.services.queues import queue_create, queue_delete, queue_member_remove, queue_member_set, queue_update
from chat.services.settings import chat_settings_update, strategy_order_set

admin.site.site_header = _("Parley administration")
admin.site.site_title = _("Parley")
admin.site.index_title = _("Administration")

# Menu labels of installed apps that ship no Polish translation (django-celery-beat);
# listed here so that makemessages puts them into locale/pl.
THIRD_PARTY_LABELS = (
    gettext_noop("Periodic Tasks"),
    gettext_noop("periodic task"),
    gettext_noop("periodic tasks"),
    gettext_noop("interval"),
    gettext_noop("intervals"),
    gettext_noop("crontab"),
    gettext_noop("crontabs"),
    gettext_noop("clocked"),
    gettext_noop("solar event"),
    gettext_noop("solar events"),
)


# --- The parameter card ------------------------------------------------------------------------------------------


class StrategyStepInline(admin.TabularInline):
    """A strategy order as a list of rows reordered by dragging (static/parley/admin/strategy-order.js)."""

    form = StrategyStepForm
    template = "admin/chat/chatsettings/strategy_order_inline.html"
    fields = ("position",)
    extra = 0
    min_num = 0
    can_delete = False
    formset: type[StrategyOrderFormSet]

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("order")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Reordering is part of editing the card: whoever may change the card may reorder.
    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("chat.change_chatsettings")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("chat.view_chatsettings") or self.has_change_permission(request, obj)


class AgentStrategyStepInline(StrategyStepInline):
    model = AgentStrategyStep
    formset = AgentStrategyOrderFormSet
    verbose_name_plural = _("Agent assignment strategy order")
    help_text = _(
        "In which order the chat is offered to agents. The first strategy decides; when it cannot "
        "(e.g. the client has no owner, or the owner is not available) the next one is asked. "
        "Drag the rows to change the order."
    )


class ChatStrategyStepInline(StrategyStepInline):
    model = ChatStrategyStep
    formset = ChatStrategyOrderFormSet
    verbose_name_plural = _("Chat assignment strategy order")
    help_text = _("Which waiting chats are given to agents first. Drag the rows to change the order.")


@admin.register(ChatSettings)
class ChatSettingsAdmin(admin.ModelAdmin):
    """ "Parametry czat": one row, one page, no list, no add, no delete."""

    form = ChatSettingsForm
    inlines = [AgentStrategyStepInline, ChatStrategyStepInline]
    change_form_template = "admin/chat/chatsettings/change_form.html"
    # The strategy lists are shown right after this fieldset (the seed's order: 5, 6, 13, then 10 and 11).
    inlines_after_fieldset = 3
    fieldsets = [
        (
            _("Close a conversation inactive for X seconds"),
            {
                "fields": [
                    "inactivity_timeout_website",
                    "inactivity_timeout_messenger",
                    "inactivity_timeout_internal",
                    "inactivity_counted_from",
                ]
            },
        ),
        (_("No reply from the agent"), {"fields": ["no_reply_transfer_after", "no_reply_pause_type"]}),
        (
            _("Assigning chats"),
            {"fields": ["max_concurrent_chats", "assign_during_phone_call", "stop_auto_assign_after_hours"]},
        ),
        (_("CRM"), {"fields": ["auto_add_to_crm"]}),
        (_("Welcome message"), {"fields": ["welcome_message_when", "welcome_message_text"]}),
        (_("Deleting old chats"), {"fields": ["delete_chats_after_days"]}),
        (_("File transfer"), {"fields": ["file_upload_enabled", "file_max_size_mb", "file_download_hours"]}),
    ]
    radio_fields = {"inactivity_counted_from": admin.VERTICAL, "welcome_message_when": admin.VERTICAL}

    class Media:
        css = {"all": ["parley/admin/chat-parameters.css"]}
        js = ["parley/admin/strategy-order.js"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        # A pause type can be added or looked at from the card, not changed or deleted from it.
        if formfield is not None and hasattr(formfield.widget, "can_delete_related"):
            formfield.widget.can_delete_related = False
            formfield.widget.can_change_related = False
        return formfield

    def get_object(self, request, object_id, from_field=None):
        # Whatever id is in the URL, there is one card; it is created with the defaults when missing.
        return ChatSettings.load() if str(object_id) == str(ChatSettings.SINGLETON_PK) else None

    def changelist_view(self, request, extra_context=None):
        card = ChatSettings.load()
        return HttpResponseRedirect(reverse("admin:chat_chatsettings_change", args=[card.pk]))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "title": ChatSettings._meta.verbose_name_plural.capitalize(),
            "subtitle": None,
            "inlines_after_fieldset": self.inlines_after_fieldset,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        values = {name: form.cleaned_data[name] for name in form.Meta.fields if name in form.cleaned_data}
        chat_settings_update(actor=request.user, **values)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            formset.save()
            if isinstance(formset, StrategyOrderFormSet) and formset.codes is not None:
                strategy_order_set(kind=formset.kind, codes=formset.codes, actor=request.user)

    def response_change(self, request, obj):
        # Stay on the card: it is the only page of this model.
        self.message_user(request, _("The chat parameters were saved."), messages.SUCCESS)
        return HttpResponseRedirect(request.path)


# --- Queues ------------------------------------------------------------------------------------------------------


class QueueMembershipInline(admin.TabularInline):
    model = QueueMembership
    fields = ("agent", "priority")
    extra = 1
    autocomplete_fields = ("agent",)
    verbose_name = _("member")
    verbose_name_plural = _("Members and their priorities (higher priority gets chats first)")


@admin.register(Queue)
class QueueAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("name", "active", "member_count", "waiting_count")
    list_filter = ("active",)
    search_fields = ("name", "description")
    fields = ("name", "description", "active")
    inlines = [QueueMembershipInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("memberships", distinct=True),
                _waiting=Count("chats", filter=Q(chats__status=Chat.Status.WAITING), distinct=True),
            )
        )

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj):
        return obj._members

    @admin.display(description=_("waiting chats"), ordering="_waiting")
    def waiting_count(self, obj):
        return obj._waiting

    # Writes go through the services (chat.services.queues), which ask for a dispatch after commit:
    # membership and priority decide who is eligible.
    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in ("name", "description", "active")}
        if change:
            saved = queue_update(queue_id=obj.pk, actor=request.user, **fields)
        else:
            saved = queue_create(actor=request.user, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_formset(self, request, form, formset, change):
        if formset.model is not QueueMembership:
            return super().save_formset(request, form, formset, change)
        queue = form.instance
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for member_form in formset.forms:
            if not member_form.has_changed() and member_form.instance.pk is None:
                continue  # an empty extra row
            old_agent_id = member_form.initial.get("agent")
            if member_form in formset.deleted_forms:
                if member_form.instance.pk is not None:
                    queue_member_remove(queue_id=queue.pk, agent_id=old_agent_id, actor=request.user)
                    formset.deleted_objects.append(member_form.instance)
                continue
            if not member_form.has_changed():
                continue
            agent_id = member_form.cleaned_data["agent"].pk
            if old_agent_id and old_agent_id != agent_id:
                queue_member_remove(queue_id=queue.pk, agent_id=old_agent_id, actor=request.user)
            membership = queue_member_set(
                queue_id=queue.pk, agent_id=agent_id, priority=member_form.cleaned_data["priority"], actor=request.user
            )
            if member_form.instance.pk is None:
                formset.new_objects.append(membership)
            else:
                formset.changed_objects.append((membership, member_form.changed_data))
        return None

    def service_delete(self, request, obj):
        queue_delete(queue_id=obj.pk, actor=request.user)


# --- Chats (read-only: they change only through the chat services) -----------------------------------------------


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


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "channel", "status", "queue", "customer", "agent", "created_at", "closed_at")
    list_filter = ("status", "channel", "queue")
    search_fields = ("visitor_name", "visitor_email", "customer__name", "customer__email", "agent__username")
    list_select_related = ("queue", "customer", "agent")
    date_hierarchy = "created_at"
    inlines = [MessageInline, ChatEventInline]
    actions = [close_chats]

    def has_close_permission(self, request):
        # Closing is a change of the chat's state, done by the chat service.
        return request.user.has_perm("chat.change_chat")
    fieldsets = [
        (None, {"fields": ["channel", "status", "queue", "customer", "customer_verified", "customer_verified_via",
                           "agent", "initiator"]}),
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
                ]
            },
        ),
    ]

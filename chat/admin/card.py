"""The parameter card ("Parametry czat"): one row, one page, with both strategy orders as drag-to-reorder
inlines. Saved through ``chat_settings_update`` and ``strategy_order_set``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chat.forms import (
    AgentStrategyOrderFormSet,
    ChatSettingsForm,
    ChatStrategyOrderFormSet,
    StrategyOrderFormSet,
    StrategyStepForm,
)
from chat.models import AgentStrategyStep, ChatSettings, ChatStrategyStep
from chat.services.settings import chat_settings_update, strategy_order_set


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
    inlines_after_fieldset = 4
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
        (_("Agent without an open inbox"), {"fields": ["no_inbox_after", "no_inbox_pause_type"]}),
        (
            _("Assigning chats"),
            {"fields": ["max_concurrent_chats", "assign_during_phone_call", "stop_auto_assign_after_hours"]},
        ),
        (_("CRM"), {"fields": ["auto_add_to_crm"]}),
        (_("Welcome message"), {"fields": ["welcome_message_when", "welcome_message_text"]}),
        (_("Deleting old chats"), {"fields": ["delete_chats_after_days"]}),
        (_("File transfer"), {"fields": ["file_upload_enabled", "file_max_size_mb", "file_download_hours"]}),
        (_("Closing a chat"), {"fields": ["disposition_required"]}),
        (_("Satisfaction survey"), {"fields": ["rating_survey_enabled"]}),
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

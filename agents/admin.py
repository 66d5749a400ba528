"""Admin of agents: users, pause types, presence (read-only) and its log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from agents.login import AdminLoginForm
from agents.models import BUILT_IN_PAUSE_TYPE, ApiToken, PauseType, Presence, PresenceEvent, User
from agents.services import (
    TOKEN_EXPIRY_DAYS_MAX,
    api_token_issue,
    api_token_revoke,
    pause_type_create,
    pause_type_delete,
    pause_type_update,
    presence_logout,
)
from chat.models import QueueMembership
from core.admin_base import ReadOnlyAdmin, ServiceDeleteMixin
from core.services import on_commit_robust

# The admin's login says when django-axes locked the user or the address out (agents/login.py).
admin.site.login_form = AdminLoginForm


class MembershipInline(admin.TabularInline):
    model = QueueMembership
    fields = ("queue", "priority")
    extra = 0
    verbose_name = _("queue")
    verbose_name_plural = _("Queues and priorities")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Django's user admin for the custom user, with the agent's queues."""

    list_display = ("username", "first_name", "last_name", "email", "is_staff", "is_active")
    inlines = [MembershipInline]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Deactivated here as through the API (agents.services.agent_update): logged out once this commits, and
        # his open chats go back to their queues.
        if change and "is_active" in form.changed_data and not obj.is_active:
            on_commit_robust(presence_logout, agent_id=obj.pk, actor=request.user)


# --- Pause types -------------------------------------------------------------------------------------------------


@admin.action(permissions=["delete"], description=_("Delete selected %(verbose_name_plural)s"))
def delete_selected(modeladmin, request, queryset):
    """Django's bulk delete, refusing the built-in pause types (with a message) before anything is deleted."""
    built_ins = list(queryset.filter(BUILT_IN_PAUSE_TYPE.q()))
    if built_ins:
        modeladmin.message_user(
            request,
            gettext("Built-in pause types cannot be deleted: %(names)s. Nothing was deleted.")
            % {"names": ", ".join(pause.label for pause in built_ins)},
            messages.ERROR,
        )
        return None
    return django_delete_selected(modeladmin, request, queryset)


@admin.register(PauseType)
class PauseTypeAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("label", "code", "built_in", "created_at")
    list_filter = ("built_in",)
    search_fields = ("name", "code")
    fields = ("name", "code", "built_in", "created_at")
    readonly_fields = ("code", "built_in", "created_at")
    actions = [delete_selected]

    @admin.display(description=_("name"), ordering="name")
    def label(self, obj):
        return obj.label

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and BUILT_IN_PAUSE_TYPE.holds(obj):
            return ("name", *self.readonly_fields)
        return self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # A built-in has nothing to change: its name and code are fixed.
        if obj is not None and BUILT_IN_PAUSE_TYPE.holds(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and BUILT_IN_PAUSE_TYPE.holds(obj):
            return False
        return super().has_delete_permission(request, obj)

    # Writes go through the services (agents.services), like the API's.
    def save_model(self, request, obj, form, change):
        if change:
            saved = pause_type_update(pause_type_id=obj.pk, actor=request.user, name=form.cleaned_data["name"])
        else:
            saved = pause_type_create(name=form.cleaned_data["name"], actor=request.user)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def service_delete(self, request, obj):
        pause_type_delete(pause_type_id=obj.pk, actor=request.user)


# --- Presence (read-only: it changes through the inbox, the API and the PBX) ---------------------------------


@admin.register(Presence)
class PresenceAdmin(ReadOnlyAdmin):
    list_display = (
        "agent",
        "status",
        "logged_in",
        "pause_type",
        "on_phone_call",
        "open_chats",
        "last_assigned_at",
        "live_seen_at",
        "changed_at",
    )
    list_filter = ("logged_in", "on_phone_call", "pause_type")
    search_fields = ("agent__username", "agent__first_name", "agent__last_name")
    list_select_related = ("agent", "pause_type")
    fields = (*list_display, "recent_events")
    readonly_fields = fields

    @admin.display(description=_("status"))
    def status(self, obj):
        return obj.status_label

    @admin.display(description=_("recent changes"))
    def recent_events(self, obj):
        events = PresenceEvent.objects.filter(agent_id=obj.agent_id).select_related("pause_type", "actor")[:20]
        if not events:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{event.created_at:%Y-%m-%d %H:%M:%S}",
                    event.get_kind_display(),
                    event.pause_type or "",
                    event.reason,
                    event.actor or "",
                )
                for event in events
            ),
        )
        return format_html('<table class="presence-events">{}</table>', rows)


@admin.register(PresenceEvent)
class PresenceEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "agent", "kind", "pause_type", "reason", "actor")
    list_filter = ("kind", "agent")
    search_fields = ("agent__username",)
    list_select_related = ("agent", "pause_type", "actor")
    date_hierarchy = "created_at"


# --- API tokens: issued here (the key shown once, in a message) and revoked by deleting them ----------------------


class ApiTokenIssueForm(forms.ModelForm):
    expiry_days = forms.IntegerField(
        label=_("expires after (days)"), required=False, min_value=1, max_value=TOKEN_EXPIRY_DAYS_MAX,
        help_text=_("Empty: the token never expires."),
    )

    class Meta:
        model = ApiToken
        fields = ("user", "description")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(is_active=True)  # the service refuses the others


@admin.register(ApiToken)
class ApiTokenAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    list_display = ("user", "description", "token_start", "created", "expiry", "last_used_at", "created_by")
    list_select_related = ("user", "created_by")
    search_fields = ("user__username", "description")
    readonly_fields = ("user", "description", "token_start", "created", "expiry", "last_used_at", "created_by")
    fields = readonly_fields

    @admin.display(description=_("key starts with"))
    def token_start(self, obj):
        return f"{obj.token_key[:4]}…"

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenIssueForm
            kwargs["fields"] = ("user", "description", "expiry_days")
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return ("user", "description", "expiry_days") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return () if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return False  # a token is issued or revoked, never edited

    def save_model(self, request, obj, form, change):
        token, key = api_token_issue(
            user_id=form.cleaned_data["user"].pk, expiry_days=form.cleaned_data.get("expiry_days"),
            description=form.cleaned_data.get("description", ""), actor=request.user,
        )
        obj.pk = token.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            gettext("The token for %(user)s: %(key)s — copy it now, it is not shown again.")
            % {"user": token.user, "key": key},
            messages.WARNING,
        )

    def service_delete(self, request, obj):
        api_token_revoke(token_id=obj.pk, actor=request.user)

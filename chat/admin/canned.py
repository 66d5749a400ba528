"""Canned responses (global, per queue, each agent's own); written through chat.services.canned."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from agents.models import ACTIVE_AGENT, User
from chat.models import CannedResponse
from chat.services.canned import canned_check, canned_create, canned_delete, canned_update
from chat.services.errors import ChatError
from core.admin_base import ServiceDeleteMixin

FIELDS = ("scope", "queue", "owner", "shortcut", "title", "body")


class CannedResponseForm(forms.ModelForm):
    class Meta:
        model = CannedResponse
        fields = FIELDS
        help_texts = {
            "queue": _("Only for the scope “Queue”: its agents see the response in that queue's chats."),
            "owner": _("Only for the scope “Personal”: the agent whose own response it is."),
        }

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["owner"].queryset = User.objects.filter(ACTIVE_AGENT.q())

    def clean(self):
        """The service's refusals (scope and key, a shortcut taken in the scope) shown on their fields."""
        data = super().clean()
        if self.errors:
            return data
        try:
            canned_check(
                actor=self.actor, scope=data["scope"], shortcut=data["shortcut"], canned_id=self.instance.pk,
                queue_id=data["queue"].pk if data.get("queue") else None,
                owner_id=data["owner"].pk if data.get("owner") else None,
            )
        except ChatError as exc:
            field = exc.field if exc.field in self.fields else None
            raise ValidationError({field: str(exc)} if field else str(exc), code=exc.code) from exc
        return data

    def validate_unique(self):
        """The shortcut's uniqueness per scope is the service's (clean above, and the write): the database's
        partial unique indexes would otherwise be reported a second time, in Django's generic words."""


@admin.register(CannedResponse)
class CannedResponseAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = CannedResponseForm
    list_display = ("shortcut", "title", "scope", "queue", "owner", "updated_at")
    list_filter = ("scope", "queue")
    search_fields = ("shortcut", "title", "body", "owner__username", "owner__first_name", "owner__last_name")
    list_select_related = ("queue", "owner")
    fields = FIELDS
    autocomplete_fields = ("owner",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class WithActor(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, actor=request.user, **kw)

        return WithActor

    # Writes go through the services, like the inbox's and the API's.
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        fields = {
            "scope": data["scope"], "shortcut": data["shortcut"], "title": data["title"], "body": data["body"],
            "queue_id": data["queue"].pk if data.get("queue") else None,
            "owner_id": data["owner"].pk if data.get("owner") else None,
        }
        if change:
            saved = canned_update(actor=request.user, canned_id=obj.pk, **fields)
        else:
            saved = canned_create(actor=request.user, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def service_delete(self, request, obj):
        canned_delete(actor=request.user, canned_id=obj.pk)

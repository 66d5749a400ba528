"""Admin of the CRM: customers, searchable, with every chat with them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from chat.models import Chat
from core.admin_base import ReadOnlyInline
from crm.models import Customer
from crm.services import customer_create, customer_update


class CustomerChatInline(ReadOnlyInline):
    """The customer's chats, newest first, each linking to its read-only page."""

    model = Chat
    fk_name = "customer"
    fields = ("created_at", "channel", "status", "queue", "agent", "closed_at", "close_reason")
    readonly_fields = fields
    show_change_link = True
    verbose_name_plural = _("Chats with this customer")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("queue", "agent").order_by("-created_at", "-id")


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("__str__", "email", "phone", "owner", "vip", "chat_count", "created_at")
    list_filter = ("vip", "owner")
    search_fields = ("name", "email", "phone", "messenger_id")
    list_select_related = ("owner",)
    autocomplete_fields = ("owner",)
    fields = ("name", "email", "phone", "messenger_id", "owner", "vip", "created_at", "updated_at")
    readonly_fields = ("created_at", "updated_at")
    inlines = [CustomerChatInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_chats=Count("chats"))

    def get_inlines(self, request, obj):
        # A new customer has no chats yet.
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        """Through the CRM services; the form has already checked the e-mail (unique, case-insensitive)."""
        fields = {name: form.cleaned_data.get(name) for name in ("name", "email", "phone", "messenger_id", "vip")}
        owner = form.cleaned_data.get("owner")
        if change:
            saved = customer_update(customer_id=obj.pk, owner=owner.pk if owner else None, actor=request.user, **fields)
        else:
            saved = customer_create(owner_id=owner.pk if owner else None, actor=request.user, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.display(description=_("chats"), ordering="_chats")
    def chat_count(self, obj):
        return obj._chats

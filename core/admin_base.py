"""Small building blocks shared by the admin modules of agents, crm and chat."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction

from core.errors import ApplicationError


class ReadOnlyAdminMixin:
    """Shown, never written here: the rows change only through their services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False


class ServiceDeleteMixin:
    """Deletes go through the owning service (``service_delete``), one at a time and all or nothing:
    a refusal (a built-in, a row in use) is shown as a message and nothing is deleted."""

    def service_delete(self, request, obj) -> None:
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        try:
            with transaction.atomic():
                for obj in queryset:
                    self.service_delete(request, obj)
        except ApplicationError as exc:
            self.message_user(request, exc.message, messages.ERROR)

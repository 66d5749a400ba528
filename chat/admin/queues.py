"""Queues with their members and priorities; written through the queue services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, Queue, QueueMembership
from chat.services.queues import queue_create, queue_delete, queue_member_remove, queue_member_set, queue_update
from core.admin_base import ServiceDeleteMixin


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
    fields = ("name", "description", "active", "answer_target_seconds", "offline_reply")
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
        fields = {name: form.cleaned_data[name] for name in ("name", "description", "active", "offline_reply")}
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

"""Queues with their members and priorities, and their business hours (a weekly schedule and dated exceptions as
inlines); written through the queue services (``chat.services.queues``, ``chat.services.hours.queue_hours_set``),
checked by the same rules as the API (``weekly_problems``, ``exception_problems``)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AdminTimeWidget
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, Q
from django.forms.models import BaseInlineFormSet
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, HoursException, OpeningHours, Queue, QueueMembership
from chat.models.schedule import Schedule, time_zone_names
from chat.services.hours import (
    HOURS_FIELDS,
    ExceptionRow,
    HoursProblem,
    WeeklyRow,
    exception_problems,
    queue_hours_set,
    weekly_problems,
)
from chat.services.queues import queue_create, queue_delete, queue_member_remove, queue_member_set, queue_update
from core.admin_base import ServiceDeleteMixin

BASE_FIELDS = ("name", "description", "active", "answer_target_seconds")


def _live_forms(formset) -> list:
    """The rows the formset would keep: filled in, valid, not marked for deletion."""
    return [
        form for form in formset.forms
        if form.is_valid() and form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


def _report(problems: list[HoursProblem], forms_: list) -> None:
    """A row's problem on the row (its field when the form has it), the rest above the inline."""
    general = []
    for problem in problems:
        if problem.index is None:
            general.append(problem.message)
            continue
        form = forms_[problem.index]
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
    if general:
        raise ValidationError(general)


class OpeningHoursFormSet(BaseInlineFormSet):
    """The weekly schedule: each interval closes after it opens, the intervals of one weekday do not overlap (the
    message names the day), and business hours switched on need at least one interval."""

    def rows(self) -> list[WeeklyRow]:
        return [
            WeeklyRow(f.cleaned_data["weekday"], f.cleaned_data["opens"], f.cleaned_data["closes"])
            for f in _live_forms(self)
        ]

    def clean(self):
        super().clean()
        live = _live_forms(self)
        rows = [WeeklyRow(f.cleaned_data["weekday"], f.cleaned_data["opens"], f.cleaned_data["closes"]) for f in live]
        # A row refused on its own fields (closing before opening) is not a missing opening.
        refused = any(f.errors for f in self.forms if not (f.cleaned_data or {}).get("DELETE"))
        problems = weekly_problems(rows, business_hours=bool(self.instance.business_hours) and not refused)
        _report(problems, live)


class HoursExceptionFormSet(BaseInlineFormSet):
    """The dated exceptions: a date closed all day has no times and no interval besides; the intervals of one date
    do not overlap (the message names the date). A date in the past is allowed: it no longer changes anything."""

    def rows(self) -> list[ExceptionRow]:
        return [_exception_row(f.cleaned_data) for f in _live_forms(self)]

    def clean(self):
        super().clean()
        live = _live_forms(self)
        _report(exception_problems([_exception_row(f.cleaned_data) for f in live]), live)


def _exception_row(data: dict) -> ExceptionRow:
    return ExceptionRow(
        date=data["date"], closed=bool(data.get("closed")), opens=data.get("opens"), closes=data.get("closes"),
        note=data.get("note") or "",
    )


# Times as the schedule speaks them: 08:00, not 08:00:00.
HOURS_WIDGETS = {models.TimeField: {"widget": AdminTimeWidget(format="%H:%M")}}


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    formset = OpeningHoursFormSet
    formfield_overrides = HOURS_WIDGETS
    fields = ("weekday", "opens", "closes")
    extra = 1
    verbose_name = _("opening")
    verbose_name_plural = _("Weekly business hours (local time of the queue's time zone; several intervals a day "
                            "for a break; 00:00 as the closing time is midnight)")


class HoursExceptionInline(admin.TabularInline):
    model = HoursException
    formset = HoursExceptionFormSet
    formfield_overrides = HOURS_WIDGETS
    fields = ("date", "closed", "opens", "closes", "note")
    extra = 1
    verbose_name = _("exception")
    verbose_name_plural = _("Business hours exceptions (a holiday closed all day, or the only hours of a shortened "
                            "day; a date in the past changes nothing)")


class QueueAdminForm(forms.ModelForm):
    time_zone = forms.ChoiceField(
        label=capfirst(Queue._meta.get_field("time_zone").verbose_name), choices=(), initial="Europe/Warsaw",
        help_text=Queue._meta.get_field("time_zone").help_text,
    )

    class Meta:
        model = Queue
        fields = (*BASE_FIELDS, *HOURS_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        names = time_zone_names()
        current = self.instance.time_zone if self.instance and self.instance.pk else None
        if current and current not in names:  # a row written around the checks: shown, so that it can be fixed
            names = [current, *names]
        self.fields["time_zone"].choices = [(name, name) for name in names]
        self.fields["time_zone"].error_messages["invalid_choice"] = _(
            "Unknown time zone “%(value)s”; choose a name such as Europe/Warsaw."
        )


class QueueMembershipInline(admin.TabularInline):
    model = QueueMembership
    fields = ("agent", "priority")
    extra = 1
    autocomplete_fields = ("agent",)
    verbose_name = _("member")
    verbose_name_plural = _("Members and their priorities (higher priority gets chats first)")


@admin.register(Queue)
class QueueAdmin(ServiceDeleteMixin, admin.ModelAdmin):
    form = QueueAdminForm
    list_display = ("name", "active", "member_count", "waiting_count", "open_now", "next_opening")
    list_filter = ("active", "business_hours")
    search_fields = ("name", "description")
    fieldsets = (
        (None, {"fields": BASE_FIELDS}),
        (_("Business hours"), {
            "fields": HOURS_FIELDS,
            "description": _("Off: the queue is always open. On: it is open in the weekly hours below, except on the "
                             "dates of the exceptions; a chat written while it is closed waits for the opening."),
        }),
    )
    inlines = [QueueMembershipInline, OpeningHoursInline, HoursExceptionInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("memberships", distinct=True),
                _waiting=Count("chats", filter=Q(chats__status=Chat.Status.WAITING), distinct=True),
            )
            .prefetch_related("opening_hours", "hours_exceptions")
        )

    def _schedule(self, obj) -> Schedule:
        if not hasattr(obj, "_schedule"):
            obj._schedule = Schedule.of(obj)
        return obj._schedule

    @admin.display(description=_("open now"), boolean=True)
    def open_now(self, obj):
        return self._schedule(obj).is_open(timezone.now())

    @admin.display(description=_("next opening"))
    def next_opening(self, obj):
        schedule, now = self._schedule(obj), timezone.now()
        if schedule.always_open:
            return _("always open")
        if schedule.is_open(now):
            return _("open now")
        opens = schedule.next_opening(now)
        if opens is None:
            return _("none planned")
        return formats.date_format(timezone.localtime(opens), "D j M Y H:i")

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj):
        return obj._members

    @admin.display(description=_("waiting chats"), ordering="_waiting")
    def waiting_count(self, obj):
        return obj._waiting

    # Writes go through the services (chat.services.queues), which ask for a dispatch after commit:
    # membership and priority decide who is eligible.
    def save_model(self, request, obj, form, change):
        # The business hours are saved with their rows in ``save_related`` (``queue_hours_set``): switched on, they
        # need the weekly rows that the inline brings.
        fields = {name: form.cleaned_data[name] for name in BASE_FIELDS}
        if change:
            saved = queue_update(queue_id=obj.pk, actor=request.user, **fields)
        else:
            saved = queue_create(actor=request.user, **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        hours = {}
        for formset in formsets:
            if formset.model in (OpeningHours, HoursException):
                hours[formset.model] = formset
                # The rows are replaced by the service; the change message names the fields.
                formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            else:
                self.save_formset(request, form, formset, change=change)
        queue_hours_set(
            queue_id=form.instance.pk, actor=request.user,
            weekly=hours[OpeningHours].rows() if OpeningHours in hours else None,
            exceptions=hours[HoursException].rows() if HoursException in hours else None,
            **{name: form.cleaned_data[name] for name in HOURS_FIELDS},
        )
        form.instance.refresh_from_db()

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

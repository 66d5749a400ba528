"""Queues, their members with priorities, and their business hours (a weekly schedule in the queue's time zone
plus dated exceptions; ``chat.services.hours`` reads them: ``is_open(queue, at)``)."""

from __future__ import annotations

import functools
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Queue(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    answer_target_seconds = models.PositiveIntegerField(
        _("answer target (seconds)"),
        default=60,
        validators=[MinValueValidator(1)],
        help_text=_("A chat counts as answered within target when its first agent message comes this many seconds "
                    "after it was queued or sooner (the live floor and the reports)."),
    )
    # Business hours (issue 17). Off: always open, as before.
    business_hours = models.BooleanField(
        _("business hours"),
        default=False,
        help_text=_("On: the queue is open only in its weekly hours and dated exceptions below; outside them "
                    "visitors leave an offline message and Messenger customers get the automatic reply."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/Warsaw",
        help_text=_("The time zone of the business hours, e.g. Europe/Warsaw."),
    )
    offline_without_agents = models.BooleanField(
        _("offline when no agent is logged in"),
        default=False,
        help_text=_("On: while no agent of the queue is logged in, visitors get the offline form too."),
    )
    offline_reply = models.TextField(
        _("automatic reply outside business hours"),
        blank=True,
        max_length=1000,
        help_text=_("Sent to a Messenger customer who writes outside business hours, once per closed period. "
                    "Empty: the default text, with the next opening."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="QueueMembership", related_name="queues", verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        # A TextField's max_length is only its form field's: every other way in (the services, the API) asks here.
        limit = self._meta.get_field("offline_reply").max_length
        if len(self.offline_reply or "") > limit:
            raise ValidationError({"offline_reply": _("The automatic reply is too long (at most %(limit)d characters).")
                                   % {"limit": limit}})
        if self.time_zone not in available_time_zones():
            raise ValidationError({"time_zone": _("Unknown time zone “%(zone)s”; use a name such as Europe/Warsaw.")
                                   % {"zone": self.time_zone}})


@functools.cache
def available_time_zones() -> frozenset[str]:
    """The names ``zoneinfo`` knows (read once: it walks the time zone database)."""
    return frozenset(zoneinfo.available_timezones())


class QueueMembership(models.Model):
    """An agent's membership of a queue; a higher priority wins."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("queue"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agent")
    )
    # Not negative: 0 is the lowest; a negative number read as "never" to some and as a rank to others.
    priority = models.IntegerField(
        _("priority"), default=0, validators=[MinValueValidator(0)], help_text=_("Higher priority gets chats first.")
    )

    class Meta:
        verbose_name = _("queue membership")
        verbose_name_plural = _("queue memberships")
        ordering = ["queue", "-priority", "agent"]
        constraints = [
            models.UniqueConstraint(fields=["queue", "agent"], name="queue_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(priority__gte=0), name="queue_membership_priority_not_negative",
                violation_error_message=_("The priority cannot be negative."),
            ),
        ]
        indexes = [models.Index(fields=["agent", "queue"], name="membership_agent_queue_idx")]

    def __str__(self) -> str:
        return f"{self.agent} @ {self.queue} ({self.priority})"


class OpeningHours(models.Model):
    """One opening interval of the weekly schedule: on ``weekday`` from ``opens`` to ``closes`` (local time of the
    queue's zone). A day may have several (a lunch break); ``closes`` 00:00 means midnight at the end of the day."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("queue"))
    weekday = models.PositiveSmallIntegerField(_("day of the week"), choices=Weekday.choices)
    opens = models.TimeField(_("opens at"))
    closes = models.TimeField(_("closes at"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("opening hours")
        verbose_name_plural = _("weekly business hours")
        ordering = ["queue", "weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday_range"
            ),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")) | models.Q(closes="00:00"),
                name="opening_hours_closes_after_opens",
                violation_error_message=_("The closing time must be after the opening time."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        super().clean()
        if self.opens is not None and self.closes is not None and not interval_valid(self.opens, self.closes):
            raise ValidationError({"closes": _("The closing time must be after the opening time.")})


class HoursException(models.Model):
    """A dated exception to the weekly schedule: closed all day (a holiday), or open only from ``opens`` to
    ``closes`` that day (a shortened or a special day). Several intervals on one date: several rows."""

    queue = models.ForeignKey(
        Queue, on_delete=models.CASCADE, related_name="hours_exceptions", verbose_name=_("queue")
    )
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=False)
    opens = models.TimeField(_("opens at"), null=True, blank=True)
    closes = models.TimeField(_("closes at"), null=True, blank=True,
                              help_text=_("00:00 means midnight at the end of the day."))
    note = models.CharField(_("note"), max_length=200, blank=True, help_text=_("E.g. Christmas Eve."))

    class Meta:
        verbose_name = _("business hours exception")
        verbose_name_plural = _("business hours exceptions")
        ordering = ["queue", "date", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(closed=True, opens__isnull=True, closes__isnull=True)
                    | (
                        models.Q(closed=False, opens__isnull=False, closes__isnull=False)
                        & (models.Q(closes__gt=models.F("opens")) | models.Q(closes="00:00"))
                    )
                ),
                name="hours_exception_closed_or_interval",
                violation_error_message=_(
                    "Either tick “closed all day” or give the opening and the closing time of that day."
                ),
            ),
        ]

    def __str__(self) -> str:
        if self.closed:
            return f"{self.date:%Y-%m-%d} " + str(_("closed"))
        return f"{self.date:%Y-%m-%d} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        super().clean()
        if self.closed:
            if self.opens is not None or self.closes is not None:
                raise ValidationError(_("A day closed all day has no opening or closing time."))
            return
        errors = {}
        if self.opens is None:
            errors["opens"] = _("Give the opening time, or tick “closed all day”.")
        if self.closes is None:
            errors["closes"] = _("Give the closing time, or tick “closed all day”.")
        if errors:
            raise ValidationError(errors)
        if not interval_valid(self.opens, self.closes):
            raise ValidationError({"closes": _("The closing time must be after the opening time.")})


def interval_valid(opens, closes) -> bool:
    """``closes`` after ``opens``; a ``closes`` of 00:00 is midnight at the end of the day."""
    return closes > opens or (closes.hour == 0 and closes.minute == 0 and closes.second == 0)

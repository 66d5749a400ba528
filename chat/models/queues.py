"""Queues and their members with priorities."""

from __future__ import annotations

from django.conf import settings
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

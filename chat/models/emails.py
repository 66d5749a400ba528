"""The e-mails of offline messages (issue 17): the acknowledgement a visitor gets for his offline message, and each
agent's reply to it. A row is written in the same transaction as what causes it (the offline chat, the agent's
message), so an e-mail is never lost: a task sends it after the commit, and the sweep queues any row whose task
never came (``chat.services.emails``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OfflineEmail(models.Model):
    class Kind(models.TextChoices):
        ACKNOWLEDGEMENT = "acknowledgement", _("Acknowledgement of the offline message")
        REPLY = "reply", _("Agent's reply")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    chat = models.ForeignKey(
        "chat.Chat", on_delete=models.CASCADE, related_name="offline_emails", verbose_name=_("chat")
    )
    # The agent's reply that this e-mail carries (REPLY); empty for the acknowledgement.
    message = models.ForeignKey(
        "chat.Message", on_delete=models.CASCADE, null=True, blank=True, related_name="offline_emails",
        verbose_name=_("message"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    recipient = models.EmailField(_("recipient"), max_length=254)
    # The visitor's language when he wrote (the widget's): every e-mail of the chat speaks it.
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Due: when the next attempt may run (now, or after a failed attempt's backoff).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # When a task was queued for it (NULL: nobody queued it, e.g. the broker was down; the sweep will).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("sending since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("offline message e-mail")
        verbose_name_plural = _("offline message e-mails")
        ordering = ["chat", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["chat"], condition=Q(kind="acknowledgement"), name="offline_email_one_acknowledgement"
            ),
            models.UniqueConstraint(
                fields=["message"], condition=Q(message__isnull=False), name="offline_email_one_per_message"
            ),
        ]
        indexes = [
            # The sweep: the rows not sent yet.
            models.Index(
                fields=["next_attempt_at"], name="offline_email_unsent_idx",
                condition=Q(status__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.get_status_display()})"

"""What happened to a chat: its events (who, when, why), and the agents the no-reply rule took off it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChatEvent(models.Model):
    """The chat's history: who, when, and why."""

    class Kind(models.TextChoices):
        STARTED = "started", _("Started")
        QUEUED = "queued", _("Queued")
        ASSIGNED = "assigned", _("Assigned")
        TRANSFERRED = "transferred", _("Transferred")
        AGENT_PAUSED = "agent_paused", _("Agent paused")
        AUTO_ASSIGN_STOPPED = "auto_assign_stopped", _("Automatic assignment stopped")
        CUSTOMER_LINKED = "customer_linked", _("Customer linked")
        CUSTOMER_VERIFIED = "customer_verified", _("Customer link verified")
        WELCOME_SENT = "welcome_sent", _("Welcome message sent")
        REPLY_SENT_AGAIN = "reply_sent_again", _("Reply sent again")
        CLOSED = "closed", _("Closed")
        # A supervisor's actions (chat.supervisor): each names him as the actor.
        SUPERVISOR_JOINED = "supervisor_joined", _("Supervisor joined silently")
        WHISPERED = "whispered", _("Supervisor whispered to the agent")
        TAKEN_OVER = "taken_over", _("Taken over by a supervisor")
        # The Messenger customer was told his place in the queue (once per chat).
        QUEUE_POSITION_SENT = "queue_position_sent", _("Place in the queue sent")
        # Business hours (chat.services.hours): held while the queue is closed, queued at its opening.
        HELD_FOR_HOURS = "held_for_hours", _("Held until the queue opens")
        RELEASED = "released", _("Queued at the opening")
        OFFLINE_REPLY_SENT = "offline_reply_sent", _("Automatic reply outside business hours sent")
        # Offline messages: the e-mails to the visitor.
        EMAIL_ACKNOWLEDGED = "email_acknowledged", _("Acknowledgement e-mailed to the visitor")
        EMAIL_REPLY_SENT = "email_reply_sent", _("Reply e-mailed to the visitor")
        # The visitor rated the closed chat (data: score, comment, via).
        RATED = "rated", _("Rated by the client")

    chat = models.ForeignKey("chat.Chat", on_delete=models.CASCADE, related_name="events", verbose_name=_("chat"))
    kind = models.CharField(_("event"), max_length=32, choices=Kind.choices)
    created_at = models.DateTimeField(_("at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
        help_text=_("The user who did it; empty when the system did."),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )
    from_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from agent"),
    )
    queue = models.ForeignKey(
        "chat.Queue", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("queue")
    )
    # For assignments: the code of the strategy that decided ("why this agent"),
    # or "manual"; for transfers and closes: the reason. An automatic assignment's ``data["runner_up"]`` is the
    # id of the agent ranked next (the one the deciding strategy set apart), absent when he was the only one.
    strategy = models.CharField(_("decided by"), max_length=32, blank=True)
    reason = models.CharField(_("reason"), max_length=32, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("chat event")
        verbose_name_plural = _("chat events")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["chat", "created_at"], name="chat_event_chat_idx"),
            models.Index(fields=["kind", "created_at"], name="chat_event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M:%S}"


class NoReplyExclusion(models.Model):
    """An agent taken off this chat for not replying: never offered it again."""

    chat = models.ForeignKey("chat.Chat", on_delete=models.CASCADE, related_name="no_reply_exclusions")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agent excluded for no reply")
        verbose_name_plural = _("agents excluded for no reply")
        constraints = [models.UniqueConstraint(fields=["chat", "agent"], name="no_reply_exclusion_unique")]

    def __str__(self) -> str:
        return f"{self.agent} x #{self.chat_id}"

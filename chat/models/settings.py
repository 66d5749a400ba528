"""The parameter card ("Parametry czat") and the two strategy orders."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from ordered_model.models import OrderedModel

DEFAULT_WELCOME_TEXT = "Witam, w czym mogę pomóc?"

# Stable codes (API and database contract) with their labels, in the seed's
# default order.
AGENT_STRATEGY_CHOICES = [
    ("owner", _("Owner")),
    ("queue_priority", _("Agent priority in queue")),
    ("last_agent", _("Last talked with the client")),
    ("fewest_open_chats", _("Fewest open chats")),
    ("longest_unassigned", _("Longest unassigned")),
]
CHAT_STRATEGY_CHOICES = [
    ("longest_waiting", _("Longest waiting in the queue")),
    ("vip", _("VIP client")),
    ("shortest_waiting", _("Shortest waiting in the queue")),
]
DEFAULT_AGENT_STRATEGY_ORDER = [code for code, _label in AGENT_STRATEGY_CHOICES]
DEFAULT_CHAT_STRATEGY_ORDER = [code for code, _label in CHAT_STRATEGY_CHOICES]


class ChatSettings(models.Model):
    """The one settings record. Always ``ChatSettings.load()``; never create another."""

    class InactivityFrom(models.TextChoices):
        PAGE_CLOSED = "page_closed", _("Page closed")
        LAST_CLIENT_MESSAGE = "last_client_message", _("Client's last message")

    class WelcomeWhen(models.TextChoices):
        NEVER = "never", _("Never")
        CHAT_STARTED = "chat_started", _("Conversation started")
        AGENT_ASSIGNED = "agent_assigned", _("Agent assigned")

    SINGLETON_PK = 1

    # 1. Close a conversation inactive for X seconds (per channel)
    inactivity_timeout_website = models.PositiveIntegerField(
        _("website chat: close when inactive for [s]"), default=3600
    )
    inactivity_timeout_messenger = models.PositiveIntegerField(
        _("Facebook chat: close when inactive for [s]"), default=604800
    )
    # 2. Count inactivity from
    inactivity_counted_from = models.CharField(
        _("count inactivity from"), max_length=32, choices=InactivityFrom.choices, default=InactivityFrom.PAGE_CLOSED
    )
    # 3. Transfer to another agent when no reply for
    no_reply_transfer_after = models.PositiveIntegerField(
        _("transfer to another agent when no reply for [s]"), default=60
    )
    # 4. Pause on no reply
    no_reply_pause_type = models.ForeignKey(
        "agents.PauseType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pause on no reply"),
        help_text=_("The pause an agent is put on when he did not answer the client's first message."),
    )
    # 5. Max concurrent chats per agent
    max_concurrent_chats = models.PositiveIntegerField(
        _("maximum number of concurrent chats per agent"), default=3, validators=[MinValueValidator(1)]
    )
    # 6. Assign chats to agents on a phone call
    assign_during_phone_call = models.BooleanField(_("assign chats to agents on a phone call"), default=True)
    # 7. Add the client to the CRM automatically
    auto_add_to_crm = models.BooleanField(_("add the client to the CRM automatically"), default=False)
    # 8. Close an internal conversation inactive for
    inactivity_timeout_internal = models.PositiveIntegerField(
        _("close an internal conversation inactive for [s]"), default=28800
    )
    # 9. Send a welcome message when
    welcome_message_when = models.CharField(
        _("send a welcome message when"), max_length=32, choices=WelcomeWhen.choices, default=WelcomeWhen.NEVER
    )
    welcome_message_text = models.TextField(_("welcome message"), blank=True, default=DEFAULT_WELCOME_TEXT)
    # 10, 11: the strategy orders live in AgentStrategyStep and ChatStrategyStep.
    # 12. Delete chats after X days (0 = off)
    delete_chats_after_days = models.PositiveIntegerField(_("delete chats after X days (0 = off)"), default=0)
    # 13. Stop automatic assignment after X hours
    stop_auto_assign_after_hours = models.PositiveIntegerField(
        _("stop automatic assignment after X hours (0 = never)"), default=24
    )
    # 14. File transfer
    file_upload_enabled = models.BooleanField(_("enable file transfer"), default=True)
    file_max_size_mb = models.PositiveIntegerField(
        _("maximum file size [MB]"), default=8, validators=[MinValueValidator(1)]
    )
    file_download_hours = models.PositiveIntegerField(
        _("time the client can download a file [hours]"), default=24, validators=[MinValueValidator(1)]
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("chat parameters")
        verbose_name_plural = _("chat parameters")
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="chat_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(max_concurrent_chats__gte=1), name="chat_settings_max_chats_gte_1"
            ),
            models.CheckConstraint(condition=models.Q(file_max_size_mb__gte=1), name="chat_settings_file_size_gte_1"),
        ]

    def __str__(self) -> str:
        return str(_("Chat parameters"))

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("The chat parameters cannot be deleted."))

    @classmethod
    def load(cls) -> ChatSettings:
        obj, _created = cls.objects.get_or_create(pk=cls.SINGLETON_PK)
        return obj

    def clean(self):
        errors = {}
        if self.welcome_message_when != self.WelcomeWhen.NEVER and not (self.welcome_message_text or "").strip():
            errors["welcome_message_text"] = _("Write the welcome message, or choose never to send it.")
        if errors:
            raise ValidationError(errors)

    def inactivity_timeout_for(self, channel: str) -> int:
        return {
            "website": self.inactivity_timeout_website,
            "messenger": self.inactivity_timeout_messenger,
            "internal": self.inactivity_timeout_internal,
        }[channel]

    @property
    def file_max_size_bytes(self) -> int:
        return self.file_max_size_mb * 1024 * 1024

    @property
    def agent_strategy_order(self) -> list[str]:
        return list(AgentStrategyStep.objects.order_by("order").values_list("code", flat=True))

    @property
    def chat_strategy_order(self) -> list[str]:
        return list(ChatStrategyStep.objects.order_by("order").values_list("code", flat=True))


class StrategyStep(OrderedModel):
    """One row of a strategy order: a stable code at a position."""

    settings = models.ForeignKey(ChatSettings, on_delete=models.CASCADE, default=ChatSettings.SINGLETON_PK)
    order_with_respect_to = "settings"

    class Meta(OrderedModel.Meta):
        abstract = True

    def __str__(self) -> str:
        return str(self.get_code_display())


class AgentStrategyStep(StrategyStep):
    code = models.CharField(_("strategy"), max_length=32, choices=AGENT_STRATEGY_CHOICES, unique=True)

    class Meta(StrategyStep.Meta):
        verbose_name = _("agent assignment strategy")
        verbose_name_plural = _("agent assignment strategy order")


class ChatStrategyStep(StrategyStep):
    code = models.CharField(_("strategy"), max_length=32, choices=CHAT_STRATEGY_CHOICES, unique=True)

    class Meta(StrategyStep.Meta):
        verbose_name = _("chat assignment strategy")
        verbose_name_plural = _("chat assignment strategy order")

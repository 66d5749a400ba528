"""The parameter card ("Parametry czat") and the two strategy orders (their codes: ``strategies.py``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from ordered_model.models import OrderedModel

from .strategies import AgentStrategyCode, ChatOrderCode

DEFAULT_WELCOME_TEXT = "Witam, w czym mogę pomóc?"

# Upper bounds of the card's numbers, defined here once: each is a MaxValueValidator of its field (the admin
# form and the API serializer read them from there: ``ChatSettings.limits``) and a check constraint of the
# table (migration 0008). They are what a contact centre could want and what the rules can compute with:
# ``now ± bound`` stays a valid datetime for any ``now`` before the year 9989 (the longest is ten years).
# docs/decisions.md "Bounds of the card" gives the reasoning, docs/admin.md and docs/api.md the table.
INACTIVITY_TIMEOUT_MAX = 365 * 24 * 60 * 60  # seconds: one year
NO_REPLY_TRANSFER_MAX = 24 * 60 * 60  # seconds: one day
MAX_CONCURRENT_CHATS_MAX = 100
DELETE_CHATS_AFTER_DAYS_MAX = 3650  # ten years
STOP_AUTO_ASSIGN_HOURS_MAX = 365 * 24  # one year
FILE_MAX_SIZE_MB_MAX = 100
FILE_DOWNLOAD_HOURS_MAX = 365 * 24  # one year
NO_INBOX_AFTER_MAX = 24 * 60 * 60  # seconds: one day
# The smallest "no inbox" time other than 0 (never): the inbox's live connection gives a sign every 20 s, the
# rule runs every 15 s; below this an agent with his inbox open could be taken off between two heartbeats.
NO_INBOX_AFTER_MIN = 30

# The card's numbers: field -> (smallest, largest) value; 0 means "off" or "never" where it is allowed.
CARD_NUMBER_BOUNDS: dict[str, tuple[int, int]] = {
    "inactivity_timeout_website": (0, INACTIVITY_TIMEOUT_MAX),
    "inactivity_timeout_messenger": (0, INACTIVITY_TIMEOUT_MAX),
    "inactivity_timeout_internal": (0, INACTIVITY_TIMEOUT_MAX),
    "no_reply_transfer_after": (0, NO_REPLY_TRANSFER_MAX),
    "max_concurrent_chats": (1, MAX_CONCURRENT_CHATS_MAX),
    "delete_chats_after_days": (0, DELETE_CHATS_AFTER_DAYS_MAX),
    "stop_auto_assign_after_hours": (0, STOP_AUTO_ASSIGN_HOURS_MAX),
    "file_max_size_mb": (1, FILE_MAX_SIZE_MB_MAX),
    "file_download_hours": (1, FILE_DOWNLOAD_HOURS_MAX),
    "no_inbox_after": (0, NO_INBOX_AFTER_MAX),  # and 0 or at least NO_INBOX_AFTER_MIN: ``clean()``
}


def _bounded(name: str) -> list:
    """The validators of the card's number ``name``: its two bounds."""
    low, high = CARD_NUMBER_BOUNDS[name]
    return [MinValueValidator(low), MaxValueValidator(high)]


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
        _("website chat: close when inactive for [s]"), default=3600, validators=_bounded("inactivity_timeout_website")
    )
    inactivity_timeout_messenger = models.PositiveIntegerField(
        _("Facebook chat: close when inactive for [s]"),
        default=604800,
        validators=_bounded("inactivity_timeout_messenger"),
    )
    # 2. Count inactivity from
    inactivity_counted_from = models.CharField(
        _("count inactivity from"), max_length=32, choices=InactivityFrom.choices, default=InactivityFrom.PAGE_CLOSED
    )
    # 3. Transfer to another agent when no reply for
    no_reply_transfer_after = models.PositiveIntegerField(
        _("transfer to another agent when no reply for [s]"), default=60, validators=_bounded("no_reply_transfer_after")
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
        _("maximum number of concurrent chats per agent"), default=3, validators=_bounded("max_concurrent_chats")
    )
    # 6. Assign chats to agents on a phone call
    assign_during_phone_call = models.BooleanField(_("assign chats to agents on a phone call"), default=True)
    # 7. Add the client to the CRM automatically
    auto_add_to_crm = models.BooleanField(_("add the client to the CRM automatically"), default=False)
    # 8. Close an internal conversation inactive for
    inactivity_timeout_internal = models.PositiveIntegerField(
        _("close an internal conversation inactive for [s]"),
        default=28800,
        validators=_bounded("inactivity_timeout_internal"),
    )
    # 9. Send a welcome message when
    welcome_message_when = models.CharField(
        _("send a welcome message when"), max_length=32, choices=WelcomeWhen.choices, default=WelcomeWhen.NEVER
    )
    welcome_message_text = models.TextField(_("welcome message"), blank=True, default=DEFAULT_WELCOME_TEXT)
    # 10, 11: the strategy orders live in AgentStrategyStep and ChatStrategyStep.
    # 12. Delete chats after X days (0 = off)
    delete_chats_after_days = models.PositiveIntegerField(
        _("delete chats after X days (0 = off)"), default=0, validators=_bounded("delete_chats_after_days")
    )
    # 13. Stop automatic assignment after X hours
    stop_auto_assign_after_hours = models.PositiveIntegerField(
        _("stop automatic assignment after X hours (0 = never)"),
        default=24,
        validators=_bounded("stop_auto_assign_after_hours"),
    )
    # 14. File transfer
    file_upload_enabled = models.BooleanField(_("enable file transfer"), default=True)
    file_max_size_mb = models.PositiveIntegerField(
        _("maximum file size [MB]"), default=8, validators=_bounded("file_max_size_mb")
    )
    file_download_hours = models.PositiveIntegerField(
        _("time the client can download a file [hours]"), default=24, validators=_bounded("file_download_hours")
    )
    # Presence follows the open inbox (issue 13; SPEC.md "Rules added after the first release")
    no_inbox_after = models.PositiveIntegerField(
        _("when an agent has no open inbox for [s] (0 = never)"),
        default=60,
        validators=_bounded("no_inbox_after"),
    )
    no_inbox_pause_type = models.ForeignKey(
        "agents.PauseType",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pause when the inbox is closed"),
        help_text=_("The pause an agent without an open inbox is put on; none: he is logged out."),
    )
    # Closing a chat (issue 14): the person closing it must choose a disposition
    disposition_required = models.BooleanField(
        _("require a disposition when closing a chat"),
        default=False,
        help_text=_("An agent or an administrator closing a chat must choose what it was about."),
    )
    # Satisfaction ratings (issue 17): ask the client to rate a chat once it closed
    rating_survey_enabled = models.BooleanField(
        _("ask the client for a rating after the chat"),
        default=True,
        help_text=_("When a chat closes, the widget asks for a rating from 1 to 5 with an optional comment, and "
                    "Messenger sends the question with the answers 1 to 5."),
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
            models.CheckConstraint(
                condition=models.Q(file_download_hours__gte=1), name="chat_settings_download_hours_gte_1"
            ),
            models.CheckConstraint(
                condition=models.Q(no_inbox_after=0) | models.Q(no_inbox_after__gte=NO_INBOX_AFTER_MIN),
                name="chat_settings_no_inbox_after_0_or_min",
            ),
            # The upper bounds, also in the database: a value written behind the services' back cannot
            # make a timed rule fail at every run.
            *(
                models.CheckConstraint(condition=models.Q(**{f"{name}__lte": high}), name=f"chat_settings_{name}_max")
                for name, (_low, high) in CARD_NUMBER_BOUNDS.items()
            ),
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
        if self.no_inbox_after is not None and 0 < self.no_inbox_after < NO_INBOX_AFTER_MIN:
            errors["no_inbox_after"] = ValidationError(
                _("Set 0 (never) or at least %(min)d seconds: an open inbox gives a sign every 20 seconds."),
                code="too_short",
                params={"min": NO_INBOX_AFTER_MIN},
            )
        if errors:
            raise ValidationError(errors)

    @classmethod
    def limits(cls, name: str) -> dict[str, int]:
        """``{"min_value": …, "max_value": …}`` of the card's number ``name``, read from the field's validators:
        what the admin form and the API serializer accept, so that the bounds are written once."""
        validators = cls._meta.get_field(name).validators
        return {
            "min_value": max(v.limit_value for v in validators if isinstance(v, MinValueValidator)),
            "max_value": min(v.limit_value for v in validators if isinstance(v, MaxValueValidator)),
        }

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
    code = models.CharField(_("strategy"), max_length=32, choices=AgentStrategyCode.choices, unique=True)

    class Meta(StrategyStep.Meta):
        verbose_name = _("agent assignment strategy")
        verbose_name_plural = _("agent assignment strategy order")


class ChatStrategyStep(StrategyStep):
    code = models.CharField(_("strategy"), max_length=32, choices=ChatOrderCode.choices, unique=True)

    class Meta(StrategyStep.Meta):
        verbose_name = _("chat assignment strategy")
        verbose_name_plural = _("chat assignment strategy order")

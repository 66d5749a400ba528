"""Agents: the custom user, pause types, presence and its event log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import ProtectedError
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS

from core.conditions import P, Where


class User(AbstractUser):
    """An agent, supervisor or administrator. Custom from the first migration."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    # The inbox rings on a new chat, a transfer to him and a message in a chat not on his screen (issue 14):
    # on by default, switched in the inbox's top bar and kept here, so it follows him to any browser.
    notify_sound = models.BooleanField(_("sound on new chats and messages"), default=True)

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username

    def __str__(self) -> str:
        return self.display_name


# A user who may be given chats at all: checked by eligibility (routing), by every chat service that looks an
# agent up (``chat.services.assignment.get_agent``) and by every form and serializer that offers agents to
# choose from; docs/decisions.md, "An inactive user is no agent".
ACTIVE_AGENT = Where(is_active=True)


# A pause type created by the data migration, with a stable code: it cannot be deleted. The one definition
# (``core.conditions``: ``.q()``, ``.sql()``, ``.holds(pause_type)``) of what the model, the admin and the
# services refuse to delete.
BUILT_IN_PAUSE_TYPE = Where(built_in=True)


# An available agent whose inbox gave no sign of life since ``cutoff`` (``Presence.live_seen_at``): what the timed
# rule "presence follows the open inbox" acts on (``chat.services.rules.presence_follow_inbox``) and the guard of
# ``agents.services.presence_live_lost``. An agent already paused or logged out is left alone; one never seen
# (NULL: a row written outside the services) too. docs/timed-rules.md, "Presence follows the open inbox".
LIVE_SILENT = Where(logged_in=True, pause_type_id__isnull=True, live_seen_at__lte=P("cutoff"))


class PauseTypeQuerySet(models.QuerySet):
    def delete(self):
        built_ins = self.filter(BUILT_IN_PAUSE_TYPE.q())
        if built_ins.exists():
            raise ProtectedError(gettext("Built-in pause types cannot be deleted."), set(built_ins))
        return super().delete()


class PauseType(models.Model):
    """A kind of pause an agent can be on. The five built-ins are created by a
    data migration, carry a stable ``code`` and cannot be deleted."""

    # Stable codes of the built-ins; their labels are translated in code so that
    # they follow the interface language (the seed names them in Polish).
    BUILT_IN_LABELS = {
        "wrap_up": pgettext_lazy("pause type", "Wrap-up"),
        "administrative": pgettext_lazy("pause type", "Administrative"),
        "break": pgettext_lazy("pause type", "Break"),
        "business_task": pgettext_lazy("pause type", "Business task"),
        "callback_progress": pgettext_lazy("pause type", "Callback progress"),
    }

    code = models.SlugField(_("code"), max_length=50, unique=True, null=True, blank=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    built_in = models.BooleanField(_("built-in"), default=False, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = PauseTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pause type")
        verbose_name_plural = _("pause types")
        ordering = ["-built_in", "id"]
        constraints = [
            # "Break" and "break" would be two rows an agent cannot tell apart in the pause menu.
            models.UniqueConstraint(
                Lower("name"), name="pause_type_name_ci_unique",
                violation_error_message=_("A pause type with this name already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.built_in and self.code in self.BUILT_IN_LABELS:
            return str(self.BUILT_IN_LABELS[self.code])
        return self.name

    def delete(self, *args, **kwargs):
        if BUILT_IN_PAUSE_TYPE.holds(self):
            raise ProtectedError(gettext("Built-in pause types cannot be deleted."), {self})
        return super().delete(*args, **kwargs)


class Presence(models.Model):
    """One row per agent: is he logged in, on which pause, on a phone call.

    ``open_chats`` counts the agent's assigned customer chats (website and
    Messenger; internal chats do not take a slot). It is denormalised for the
    routing queries and is changed only by the chat services, in the same
    transaction as the chat itself; the capacity guard is a conditional
    ``UPDATE … WHERE open_chats < max`` on this row.
    """

    agent = models.OneToOneField(
        "agents.User", on_delete=models.CASCADE, primary_key=True, related_name="presence", verbose_name=_("agent")
    )
    logged_in = models.BooleanField(_("logged in"), default=False)
    pause_type = models.ForeignKey(
        PauseType, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("pause")
    )
    on_phone_call = models.BooleanField(_("on a phone call"), default=False)
    open_chats = models.PositiveIntegerField(_("open chats"), default=0)
    last_assigned_at = models.DateTimeField(_("last assigned at"), null=True, blank=True)
    # The last sign of the agent's open inbox (its live connection's connect and heartbeat, the fallback poll, a
    # log-in or a resume). Written at most once per ``LIVE_SEEN_EVERY`` (agents.services.presence_live_seen).
    live_seen_at = models.DateTimeField(
        _("inbox last seen at"),
        null=True,
        blank=True,
        help_text=_("The last time the agent's inbox was open and connected."),
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presence")
        indexes = [
            # The routing query starts from available agents.
            models.Index(
                fields=["open_chats"],
                name="presence_available_idx",
                condition=models.Q(logged_in=True, pause_type__isnull=True),
            ),
            # The rule "presence follows the open inbox" reads available agents by their last inbox sign.
            models.Index(
                fields=["live_seen_at"],
                name="presence_live_seen_idx",
                condition=models.Q(logged_in=True, pause_type__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.status_label}"

    @property
    def available(self) -> bool:
        return self.logged_in and self.pause_type_id is None

    @property
    def status_label(self) -> str:
        if not self.logged_in:
            return str(_("Logged out"))
        if self.pause_type_id:
            return str(self.pause_type)
        return str(_("Available"))


class PresenceEvent(models.Model):
    """Append-only log of every presence change."""

    class Kind(models.TextChoices):
        LOGGED_IN = "logged_in", _("Logged in")
        LOGGED_OUT = "logged_out", _("Logged out")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        PHONE_CALL_STARTED = "phone_call_started", _("Phone call started")
        PHONE_CALL_ENDED = "phone_call_ended", _("Phone call ended")

    agent = models.ForeignKey(
        "agents.User", on_delete=models.CASCADE, related_name="presence_events", verbose_name=_("agent")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    pause_type = models.ForeignKey(
        PauseType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("pause")
    )
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    actor = models.ForeignKey(
        "agents.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("by")
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("presence event")
        verbose_name_plural = _("presence events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["agent", "-created_at"], name="presence_event_agent_idx")]

    def __str__(self) -> str:
        return f"{self.agent} {self.get_kind_display()} {self.created_at:%Y-%m-%d %H:%M:%S}"


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox's token model, swapped in by ``KNOX_TOKEN_MODEL``): only a SHA-512 digest
    of the key is stored, with the key's first 15 characters to find the row; the key itself is shown once, when
    it is issued (``agents.services.api_token_issue``). A user may hold several; each may expire. Revoking one
    deletes its row. docs/api.md, "Authentication"; docs/decisions.md, "API tokens: django-rest-knox"."""

    id = models.BigAutoField(primary_key=True)
    # Knox makes the digest the primary key; here it is only unique, so that the API and the admin name a token
    # by a plain number and never by (a part of) its secret.
    digest = models.CharField(_("digest"), max_length=CONSTANTS.DIGEST_LENGTH, unique=True, editable=False)
    description = models.CharField(
        _("description"), max_length=200, blank=True, help_text=_("What the token is for, e.g. “PBX”.")
    )
    created_by = models.ForeignKey(
        "agents.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("issued by"),
    )
    # Written at most once a minute per token (agents.services.api_token_used).
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"{self.user} · {self.token_key[:4]}…" + (f" ({self.description})" if self.description else "")

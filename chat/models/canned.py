"""Canned responses: ready answers an agent inserts into the reply box by typing "/" (issue 14, point 3).

Each response belongs to exactly one scope: *global* (every agent), a *queue* (the agents answering that
queue's chats) or *personal* (one agent's own). The scope is stored (not derived from which foreign key is
set) so that the admin can filter by it and the database can check that the keys match it. A shortcut is
unique within its scope: one "thanks" for everyone, one per queue, one per agent; the same shortcut in two
scopes is allowed (the picker shows both, the agent's own first). The rules of who may write which are the
services' (chat.services.canned)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

CANNED_BODY_MAX = 5000


class CannedResponse(models.Model):
    class Scope(models.TextChoices):
        GLOBAL = "global", _("Global")
        QUEUE = "queue", _("Queue")
        PERSONAL = "personal", _("Personal")

    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.GLOBAL)
    queue = models.ForeignKey(
        "chat.Queue", on_delete=models.CASCADE, null=True, blank=True, related_name="canned_responses",
        verbose_name=_("queue"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="canned_responses",
        verbose_name=_("owner"),
    )
    shortcut = models.SlugField(
        _("shortcut"), max_length=50, allow_unicode=True,
        help_text=_("Typed after “/” in the reply box, e.g. “thanks”: letters, digits, hyphens and underscores."),
    )
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("text"), validators=[MaxLengthValidator(CANNED_BODY_MAX)],
        help_text=_("Placeholders filled in when inserted: {visitor_name}, {agent_name}, {queue}."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["shortcut", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(scope="global", queue__isnull=True, owner__isnull=True)
                    | Q(scope="queue", queue__isnull=False, owner__isnull=True)
                    | Q(scope="personal", queue__isnull=True, owner__isnull=False)
                ),
                name="canned_scope_keys",
            ),
            models.UniqueConstraint(
                fields=["shortcut"], condition=Q(scope="global"), name="canned_global_shortcut_unique"
            ),
            models.UniqueConstraint(
                fields=["queue", "shortcut"], condition=Q(scope="queue"), name="canned_queue_shortcut_unique"
            ),
            models.UniqueConstraint(
                fields=["owner", "shortcut"], condition=Q(scope="personal"), name="canned_owner_shortcut_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"/{self.shortcut}"

"""The audit record of a privacy request: what was done, when, by whom, how much; never to whom.

It holds no personal data of the person the request was about: no e-mail, no name, no Messenger id, no hash of
any of them, not even the customer's id (docs/privacy.md, "The audit record"). The person is given the
``reference`` (it is also inside the export's ``export.json``), so that the record can be matched with his request.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PrivacyRequest(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Export (access, GDPR art. 15)")
        ERASE = "erase", _("Erasure (GDPR art. 17)")

    class SubjectKind(models.TextChoices):
        CUSTOMER = "customer", _("A CRM customer")
        EMAIL = "email", _("A visitor's e-mail")

    class Via(models.TextChoices):
        ADMIN = "admin", _("Administration")
        API = "api", _("REST API")
        COMMAND = "command", _("Management command")

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("request"), max_length=16, choices=Kind.choices)
    subject_kind = models.CharField(_("found by"), max_length=16, choices=SubjectKind.choices)
    via = models.CharField(_("made in"), max_length=16, choices=Via.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("by"), help_text=_("The staff member who made the request; empty for a management command."),
    )
    # The staff member's user name when the request was made: the record still says who if his account goes.
    actor_username = models.CharField(_("user name"), max_length=150, blank=True, editable=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now, editable=False)
    # How many rows and files of each kind were exported or erased: {"customers": 1, "chats": 3, "messages": 12, …}.
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference or f"#{self.pk}"

"""The CRM's customers, linked to chats by e-mail or Messenger id."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    # Stored as typed; uniqueness is case-insensitive and enforced by the
    # database (a unique index on lower(email)). Empty e-mails are stored NULL.
    email = models.EmailField(_("e-mail"), max_length=254, null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    messenger_id = models.CharField(_("Messenger id"), max_length=64, null=True, blank=True, unique=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
        verbose_name=_("owner"),
        help_text=_("The agent who looks after this customer; chats go to him first."),
    )
    vip = models.BooleanField(_("VIP"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="customer_email_ci_unique",
                violation_error_message=_("A customer with this e-mail already exists."),
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="customer_name_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or self.messenger_id or f"#{self.pk}"

    def save(self, *args, **kwargs):
        # Normalise blanks to NULL so that the unique indexes ignore them.
        self.email = (self.email or "").strip() or None
        self.messenger_id = (self.messenger_id or "").strip() or None
        super().save(*args, **kwargs)

    def clean(self):
        """A customer is somebody: at least a name, an e-mail, a phone or a Messenger id (an empty row could be
        neither found nor told apart). On ``name``, so that the admin and the inbox show it on the first field."""
        super().clean()
        if not any((self.name or "").strip() or (value or "").strip()
                   for value in (self.email, self.phone, self.messenger_id)):
            raise ValidationError({"name": ValidationError(
                _("Give the customer at least a name, an e-mail, a phone or a Messenger id."), code="empty"
            )})

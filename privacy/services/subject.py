"""Whom a privacy request is about: a CRM customer, or a visitor's e-mail; and which chats are his.

A subject is found by exactly one of the two:

- **a customer** (``crm.Customer``): his row, the chats linked to him, the chats that carry his e-mail
  (case-insensitive) and the chats from his Messenger id;
- **an e-mail**: the customer with that e-mail (case-insensitive), if any, with everything above, and every chat
  whose visitor gave that e-mail, linked to a customer or not, verified or a claim.

A Messenger sender without a CRM customer is made a customer first (the inbox's "Add to CRM" on his chat), then
found by customer. docs/privacy.md, "Whom a request is about".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from chat.models import Chat
from core.errors import ApplicationError
from crm.models import Customer

EMAIL_MAX_LENGTH = 254


@dataclass(frozen=True)
class PrivacySubject:
    """``kind``: "customer" or "email" (``PrivacyRequest.SubjectKind``); ``customer``: his CRM row or None;
    ``email``: the e-mail, lower-cased ("" when none); ``messenger_id``: the customer's Messenger id or ""."""

    kind: str
    customer: Customer | None
    email: str
    messenger_id: str

    def chats(self) -> QuerySet[Chat]:
        """Every chat stored about the subject (internal chats never carry a visitor's identity)."""
        condition = Q(pk__in=[])
        if self.customer is not None:
            condition |= Q(customer_id=self.customer.pk)
        if self.email:
            condition |= Q(visitor_email__iexact=self.email)
        if self.messenger_id:
            condition |= Q(visitor_messenger_id=self.messenger_id)
        return Chat.objects.filter(condition).order_by("created_at", "id")

    def identifiers(self) -> list[str]:
        """The strings that name the person anywhere (to scrub them where rows stay): e-mails, Messenger id."""
        values = {self.email}
        if self.customer is not None:
            values.add((self.customer.email or "").lower())
        values.add(self.messenger_id)
        return sorted(value for value in values if value)


def _customer(customer_id) -> Customer:
    try:
        return Customer.objects.get(pk=int(customer_id))
    except (Customer.DoesNotExist, TypeError, ValueError, OverflowError):
        raise ApplicationError(_("There is no such customer."), field="customer", code="not_found")


def privacy_email_clean(email: str) -> str:
    """The e-mail trimmed and lower-cased; ApplicationError (field "email", code "invalid_email") when it is not
    an e-mail address."""
    email = (email or "").strip()
    try:
        if len(email) > EMAIL_MAX_LENGTH:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ApplicationError(_("Enter a valid e-mail address."), field="email", code="invalid_email")
    return email.lower()


def privacy_subject(*, customer_id=None, email: str | None = None) -> PrivacySubject:
    """The subject of a request from exactly one of ``customer_id`` and ``email``. Refused (ApplicationError):
    neither (code "subject_required"), both ("subject_ambiguous"), an unknown customer (field "customer",
    "not_found"), a malformed e-mail (field "email", "invalid_email")."""
    has_customer = customer_id not in (None, "")
    has_email = bool((email or "").strip())
    if not has_customer and not has_email:
        raise ApplicationError(
            _("Give the customer or the e-mail address the request is about."), code="subject_required"
        )
    if has_customer and has_email:
        raise ApplicationError(
            _("Give either a customer or an e-mail address, not both."), code="subject_ambiguous"
        )
    if has_customer:
        customer = _customer(customer_id)
        return PrivacySubject(
            kind="customer", customer=customer, email=(customer.email or "").strip().lower(),
            messenger_id=(customer.messenger_id or "").strip(),
        )
    email = privacy_email_clean(email)
    customer = Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower=email).first()
    return PrivacySubject(
        kind="email", customer=customer, email=email,
        messenger_id=((customer.messenger_id or "").strip() if customer is not None else ""),
    )

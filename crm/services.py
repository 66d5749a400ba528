"""CRM services: find, create and update customers; link chats to them; who may make whom a customer's
owner or VIP. Refusals are :class:`core.errors.ApplicationError` (this app does not import chat)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from agents.models import User
from core.errors import ApplicationError
from crm.models import Customer

EDITABLE_FIELDS = ("name", "email", "phone", "messenger_id", "owner_id", "vip")


def may_set_owner_or_vip(user) -> bool:
    """Only staff make an agent a customer's owner or a customer VIP: both change who gets whose chats and
    what he may read (an owner sees the customer's waiting chats in every queue). ``None`` is the system
    (the seed, admin commands, a chat adding its visitor to the CRM)."""
    return user is None or bool(user.is_staff)


def check_owner_and_vip(*, actor, changes: dict) -> None:
    """``changes``: the owner/VIP fields the caller would change (only those whose value differs)."""
    if changes and not may_set_owner_or_vip(actor):
        field = "owner" if "owner" in changes else "vip"
        raise ApplicationError(
            _("Only staff can change a customer's owner or VIP flag."), field=field, code="forbidden"
        )


def customer_match(*, email: str = "", messenger_id: str = "") -> Customer | None:
    """The customer with this e-mail (case-insensitive, via the lower(email) index) or, failing that, this
    Messenger id; None when neither matches."""
    email = (email or "").strip()
    messenger_id = (messenger_id or "").strip()
    if email:
        customer = Customer.objects.annotate(email_lower=Lower("email")).filter(email_lower=email.lower()).first()
        if customer is not None:
            return customer
    if messenger_id:
        return Customer.objects.filter(messenger_id=messenger_id).first()
    return None


def _owner(owner_id) -> User | None:
    if owner_id in (None, ""):
        return None
    try:
        return User.objects.get(pk=int(owner_id))
    except (User.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("There is no such agent."), field="owner", code="unknown_agent")


class DuplicateEmail(ApplicationError):
    """The e-mail belongs to another customer (``existing``): the inbox names him and links to him when the
    agent may see him."""

    def __init__(self, existing: Customer):
        super().__init__(
            _("A customer with this e-mail already exists: %(customer)s."), field="email", code="duplicate",
            params={"customer": str(existing)},
        )
        self.existing = existing


def _check_email_free(customer: Customer) -> None:
    """The e-mail is nobody else's, case-insensitively (the database's unique index on lower(email) is the
    last word; this names the other customer)."""
    if not customer.email:
        return
    other = (
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=customer.email.lower())
        .exclude(pk=customer.pk)
        .first()
    )
    if other is not None:
        raise DuplicateEmail(other)


def _save(customer: Customer) -> Customer:
    """Validate (field rules, not empty, the case-insensitive unique e-mail) and save; a race ends in
    ApplicationError too."""
    customer.email = (customer.email or "").strip() or None
    customer.messenger_id = (customer.messenger_id or "").strip() or None
    _check_email_free(customer)
    try:
        customer.full_clean()
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        field = "email" if field == "__all__" else field
        first = exc.error_dict[next(iter(exc.error_dict))][0] if hasattr(exc, "error_dict") else None
        code = "empty" if first is not None and first.code == "empty" else \
            {"email": "invalid_email"}.get(field, "invalid")
        raise ApplicationError(messages[0], field=field, code=code)
    try:
        with transaction.atomic():
            customer.save()
    except IntegrityError:
        raise ApplicationError(_("A customer with this e-mail or Messenger id already exists."), field="email",
                        code="duplicate")
    return customer


def customer_create(
    *, name: str = "", email: str = "", phone: str = "", messenger_id: str = "", owner_id=None, vip: bool = False,
    actor: User | None = None,
) -> Customer:
    """A new customer. Only staff (or the system, ``actor=None``) give him an owner or make him VIP."""
    owner = _owner(owner_id)
    check_owner_and_vip(
        actor=actor, changes={field: True for field, value in (("owner", owner), ("vip", vip)) if value}
    )
    customer = Customer(
        name=(name or "").strip(),
        email=email,
        phone=(phone or "").strip(),
        messenger_id=messenger_id,
        owner=owner,
        vip=bool(vip),
    )
    return _save(customer)


def customer_update(*, customer_id, actor: User | None = None, **fields) -> Customer:
    """Change a customer's fields. Only staff (or the system, ``actor=None``) change the owner or the VIP
    flag; sending them unchanged is fine (a client may send the whole record back)."""
    unknown = set(fields) - set(EDITABLE_FIELDS) - {"owner"}
    if unknown:
        field = sorted(unknown)[0]
        raise ApplicationError(_("This field cannot be changed."), field=field, code="unknown_field")
    try:
        customer = Customer.objects.get(pk=int(customer_id))
    except (Customer.DoesNotExist, TypeError, ValueError):
        raise ApplicationError(_("There is no such customer."), field="customer", code="not_found")
    if "owner" in fields:
        fields["owner_id"] = fields.pop("owner")
    changes = {}
    if "owner_id" in fields:
        new_owner = _owner(fields["owner_id"])
        fields["owner_id"] = new_owner.pk if new_owner else None
        if fields["owner_id"] != customer.owner_id:
            changes["owner"] = True
    if "vip" in fields and bool(fields["vip"]) != customer.vip:
        changes["vip"] = True
    check_owner_and_vip(actor=actor, changes=changes)
    for field, value in fields.items():
        if field == "owner_id":
            customer.owner = _owner(value)
        elif field == "vip":
            customer.vip = bool(value)
        else:
            setattr(customer, field, (value or "").strip() if isinstance(value, str) or value is None else value)
    return _save(customer)


def customer_link_or_create(
    *, name: str = "", email: str = "", messenger_id: str = "", create: bool
) -> Customer | None:
    """The customer a new chat belongs to: matched by e-mail or Messenger id; when none matches and ``create``
    (parameter 7) is on, a new one from the chat's data (only when there is an e-mail or a Messenger id to
    recognise him by next time). Sets ``customer.created``."""
    customer = customer_match(email=email, messenger_id=messenger_id)
    if customer is not None or not create or not (email or messenger_id):
        if customer is not None:
            customer.created = False
        return customer
    try:
        customer = customer_create(name=name, email=email, messenger_id=messenger_id)
    except ApplicationError:
        # Created by a simultaneous chat start meanwhile: use that one.
        customer = customer_match(email=email, messenger_id=messenger_id)
        if customer is None:
            raise
        customer.created = False
        return customer
    customer.created = True
    return customer

"""Reads of the CRM's API: which customers a user may read. Which customers a user may read follows which chats
he may see (``chat.selectors.customers_visible_to``, chat's rule); any other answers 404."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from rest_framework.exceptions import NotFound

from chat.selectors import customers_visible_to
from crm.models import Customer


def customer_get_for(*, user, customer_id: int) -> Customer:
    """A customer the user may read; any other answers 404, as if it did not exist."""
    customer = customers_visible_to(user=user).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def customer_list(*, user, q: str = "") -> QuerySet[Customer]:
    """The customers the user may read, by name; ``q`` searches name, e-mail and phone (and is a whole
    Messenger id)."""
    customers = customers_visible_to(user=user)
    if q := (q or "").strip():
        customers = customers.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(phone__icontains=q) | Q(messenger_id=q)
        )
    return customers.order_by("name", "id")

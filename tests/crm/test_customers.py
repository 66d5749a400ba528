"""Customers: e-mail unique case-insensitively (database and admin), search, filters, their chats."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from chat.models import Chat
from crm.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/crm/customer/"


@pytest.fixture
def admin(client, admin_user):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


def customer_form(**fields) -> dict:
    return {"name": "", "email": "", "phone": "", "messenger_id": "", "owner": "", **fields}


def test_database_refuses_the_same_email_in_other_case():
    Customer.objects.create(name="A", email="a@x.pl")
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="B", email="A@X.PL")
    assert Customer.objects.count() == 1


def test_customers_without_email_do_not_collide():
    Customer.objects.create(name="A", email="")
    Customer.objects.create(name="B", email=None)
    assert Customer.objects.filter(email__isnull=True).count() == 2


def test_admin_refuses_the_same_email_in_other_case_with_a_form_error(admin):
    Customer.objects.create(name="A", email="a@x.pl")
    response = admin.post(f"{CHANGELIST}add/", customer_form(name="B", email="A@X.PL"))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["__all__"] == ["A customer with this e-mail already exists."]
    assert Customer.objects.count() == 1


def test_admin_adds_a_customer_with_owner_and_vip(admin):
    owner = factories.UserFactory(username="opiekun")
    response = admin.post(f"{CHANGELIST}add/", customer_form(name="Jan", email="jan@x.pl", owner=owner.pk, vip="on"))
    assert response.status_code == 302
    customer = Customer.objects.get(email="jan@x.pl")
    assert (customer.owner, customer.vip) == (owner, True)


def test_admin_changes_a_customer(admin):
    customer = Customer.objects.create(name="Jan", email="jan@x.pl")
    data = customer_form(name="Jan Nowak", email="jan@x.pl", phone="+48 600")
    data.update({"chats-TOTAL_FORMS": 0, "chats-INITIAL_FORMS": 0})  # the read-only list of his chats
    response = admin.post(f"{CHANGELIST}{customer.pk}/change/", data)
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.phone) == ("Jan Nowak", "+48 600")


@pytest.mark.parametrize("query", ["Kowal", "JAN.K@EXAMPLE", "600 100"], ids=["name", "email", "phone"])
def test_admin_finds_a_customer_by_name_email_or_phone(admin, query):
    Customer.objects.create(name="Jan Kowalski", email="jan.k@example.com", phone="+48 600 100 200")
    Customer.objects.create(name="Maria Nowak", email="maria@example.com", phone="+48 700 200 300")
    result = admin.get(CHANGELIST, {"q": query}).context["cl"].result_list
    assert [customer.name for customer in result] == ["Jan Kowalski"]


def test_admin_filters_vip_customers(admin):
    Customer.objects.create(name="Jan", vip=True)
    Customer.objects.create(name="Maria")
    result = admin.get(CHANGELIST, {"vip__exact": "1"}).context["cl"].result_list
    assert [customer.name for customer in result] == ["Jan"]


def test_admin_filters_customers_by_owner(admin):
    owner = factories.UserFactory(username="anna")
    Customer.objects.create(name="Jan", owner=owner)
    Customer.objects.create(name="Maria")
    result = admin.get(CHANGELIST, {"owner__id__exact": owner.pk}).context["cl"].result_list
    assert [customer.name for customer in result] == ["Jan"]


def test_customer_page_lists_his_chats_with_links(admin):
    customer = Customer.objects.create(name="Jan", email="jan@x.pl")
    chats = [factories.ChatFactory(customer=customer), factories.ChatFactory(customer=customer)]
    other = factories.ChatFactory()
    html = admin.get(f"{CHANGELIST}{customer.pk}/change/").content.decode()
    assert "Chats with this customer" in html
    for chat in chats:
        assert f"/admin/chat/chat/{chat.pk}/change/" in html
    assert f"/admin/chat/chat/{other.pk}/change/" not in html
    assert Chat.objects.count() == 3

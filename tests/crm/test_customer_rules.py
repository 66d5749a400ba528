"""The CRM services' rules, wherever a customer is entered (service, admin, API): a customer is not empty, his
e-mail is nobody else's (case-insensitively, naming the other customer), owner and VIP are staff's."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from core.errors import ApplicationError
from crm.models import Customer
from crm.services import DuplicateEmail, customer_create, customer_update
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def agent(db):
    return factories.UserFactory(username="anna")


@pytest.fixture
def staff(db):
    return factories.AdminFactory(username="boss")


def test_an_agent_creates_a_customer_with_name_email_and_phone(agent):
    customer = customer_create(name=" Jan ", email="jan@x.pl", phone="+48 600", actor=agent)
    assert (customer.name, customer.email, customer.phone) == ("Jan", "jan@x.pl", "+48 600")


@pytest.mark.parametrize("actor", [None, "agent"])
def test_an_empty_customer_is_refused(actor, agent):
    with pytest.raises(ApplicationError) as refused:
        customer_create(name="  ", email="", phone=" ", actor=agent if actor else None)
    assert (refused.value.field, refused.value.code) == ("name", "empty")
    assert Customer.objects.count() == 0


def test_emptying_a_customer_is_refused(agent):
    customer = customer_create(name="Jan", actor=agent)
    with pytest.raises(ApplicationError) as refused:
        customer_update(customer_id=customer.pk, name="", actor=agent)
    assert refused.value.code == "empty"
    assert Customer.objects.get().name == "Jan"


def test_a_duplicate_email_in_another_case_is_refused_naming_the_customer(agent):
    existing = customer_create(name="Jan Kowalski", email="Jan@X.pl")
    with pytest.raises(DuplicateEmail) as refused:
        customer_create(name="Other", email="jan@x.PL", actor=agent)
    assert refused.value.existing == existing
    assert str(refused.value) == "A customer with this e-mail already exists: Jan Kowalski."
    assert refused.value.field == "email"
    assert Customer.objects.count() == 1


def test_changing_the_email_to_another_customers_is_refused_but_keeping_ones_own_is_fine(agent):
    customer_create(name="Jan", email="jan@x.pl")
    ewa = customer_create(name="Ewa", email="ewa@x.pl")
    with pytest.raises(DuplicateEmail):
        customer_update(customer_id=ewa.pk, email="JAN@x.pl", actor=agent)
    assert customer_update(customer_id=ewa.pk, email="EWA@x.pl", name="Ewa N", actor=agent).email == "EWA@x.pl"


def test_an_agent_cannot_make_a_customer_vip_or_give_him_an_owner(agent):
    with pytest.raises(ApplicationError) as refused:
        customer_create(name="Jan", vip=True, actor=agent)
    assert refused.value.code == "forbidden"
    customer = customer_create(name="Jan", actor=agent)
    for fields in ({"vip": True}, {"owner_id": agent.pk}):
        with pytest.raises(ApplicationError) as refused:
            customer_update(customer_id=customer.pk, actor=agent, **fields)
        assert refused.value.code == "forbidden"
    customer.refresh_from_db()
    assert (customer.vip, customer.owner) == (False, None)


def test_staff_make_a_customer_vip_with_an_owner(staff, agent):
    customer = customer_create(name="Jan", actor=agent)
    customer = customer_update(customer_id=customer.pk, vip=True, owner_id=agent.pk, actor=staff)
    assert (customer.vip, customer.owner) == (True, agent)


def test_the_admin_refuses_an_empty_customer_with_a_form_error(client, staff):
    client.cookies["django_language"] = "en"
    client.force_login(staff)
    response = client.post("/admin/crm/customer/add/",
                           {"name": "", "email": "", "phone": "", "messenger_id": "", "owner": ""})
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["name"] == [
        "Give the customer at least a name, an e-mail, a phone or a Messenger id."
    ]
    assert Customer.objects.count() == 0


def test_the_api_refuses_an_empty_customer_and_a_duplicate_email_with_400(staff):
    api = APIClient()
    api.force_authenticate(staff)
    empty = api.post("/api/v1/customers/", {"name": ""}, format="json")
    assert empty.status_code == 400
    assert empty.json()["code"] == "empty" and "name" in empty.json()
    customer_create(name="Jan Kowalski", email="jan@x.pl")
    duplicate = api.post("/api/v1/customers/", {"name": "B", "email": "JAN@x.pl"}, format="json",
                         HTTP_ACCEPT_LANGUAGE="en")
    assert duplicate.status_code == 400
    assert duplicate.json()["email"] == ["A customer with this e-mail already exists: Jan Kowalski."]
    assert Customer.objects.count() == 1

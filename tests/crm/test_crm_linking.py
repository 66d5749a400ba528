"""CRM (parameter 7): a chat is linked to its customer; with auto-add a customer is created from the chat."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_start
from chat.services.dispatch import dispatch
from core.errors import ApplicationError
from crm.models import Customer
from crm.services import customer_create, customer_match, customer_update
from tests import factories
from tests.chat.routing.helpers import set_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Main")


def test_customer_match_by_email_ignores_case():
    customer = factories.CustomerFactory(email="Jan.Kowalski@Example.PL")

    assert customer_match(email="jan.kowalski@example.pl") == customer


def test_customer_match_by_messenger_id():
    customer = factories.CustomerFactory(email=None, messenger_id="psid-77")

    assert customer_match(messenger_id="psid-77") == customer


def test_customer_match_finds_nobody():
    assert customer_match(email="nobody@example.com") is None


def test_chat_is_linked_to_the_customer_with_the_same_email_in_another_case(queue):
    customer = factories.CustomerFactory(email="ANNA@example.com")

    chat = chat_start(channel="website", queue_id=queue.pk, visitor_email="anna@EXAMPLE.com")

    assert chat.customer == customer
    assert ChatEvent.objects.filter(chat=chat, kind="customer_linked").exists()


def test_messenger_chat_is_linked_by_messenger_id(queue):
    customer = factories.CustomerFactory(email=None, messenger_id="psid-1")

    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid-1")

    assert chat.customer == customer


def test_auto_add_off_creates_no_customer(queue):
    set_card(auto_add_to_crm=False)

    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Ewa", visitor_email="ewa@example.com")

    assert chat.customer is None
    assert Customer.objects.count() == 0


def test_auto_add_on_creates_the_customer_from_the_chat(queue):
    set_card(auto_add_to_crm=True)

    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Ewa", visitor_email="ewa@example.com")

    customer = Customer.objects.get()
    assert chat.customer == customer
    assert (customer.name, customer.email) == ("Ewa", "ewa@example.com")


def test_auto_add_on_reuses_the_customer_with_the_same_email(queue):
    set_card(auto_add_to_crm=True)
    first = chat_start(channel="website", queue_id=queue.pk, visitor_email="ewa@example.com", visitor_key="a")

    second = chat_start(channel="website", queue_id=queue.pk, visitor_email="EWA@example.com", visitor_key="b")

    assert first.customer == second.customer
    assert Customer.objects.count() == 1


def test_auto_add_on_creates_a_messenger_customer(queue):
    set_card(auto_add_to_crm=True)

    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="psid-9", visitor_name="Piotr")

    assert chat.customer.messenger_id == "psid-9"


def test_auto_add_without_email_or_messenger_id_creates_nobody(queue):
    set_card(auto_add_to_crm=True)

    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Anonymous")

    assert chat.customer is None
    assert Customer.objects.count() == 0


def test_linked_customers_owner_gets_the_chat(agent_factory, queue):
    agent_factory(queue=queue)
    owner = agent_factory()
    factories.CustomerFactory(email="vip@example.com", owner=owner)
    chat = chat_start(channel="website", queue_id=queue.pk, visitor_email="VIP@example.com")

    dispatch()

    assert Chat.objects.get(pk=chat.pk).agent == owner


def test_customer_create_refuses_an_email_differing_only_in_case():
    customer_create(name="A", email="a@x.pl")

    with pytest.raises(ApplicationError) as error:
        customer_create(name="B", email="A@X.PL")

    assert error.value.field == "email"
    assert Customer.objects.count() == 1


def test_customer_create_refuses_an_unknown_owner():
    with pytest.raises(ApplicationError) as error:
        customer_create(name="A", owner_id=999999)

    assert error.value.field == "owner"


def test_customer_update_changes_the_given_fields(agent_factory):
    owner = agent_factory()
    customer = customer_create(name="A", email="a@x.pl")

    customer = customer_update(customer_id=customer.pk, vip=True, owner_id=owner.pk, phone="+48 600")

    assert (customer.vip, customer.owner, customer.phone) == (True, owner, "+48 600")


def test_customer_update_refuses_an_unknown_field():
    customer = customer_create(name="A")

    with pytest.raises(ApplicationError) as error:
        customer_update(customer_id=customer.pk, created_at=None)

    assert error.value.field == "created_at"

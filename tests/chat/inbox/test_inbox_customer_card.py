"""The customer card's CRM (issue 14, point 6): an agent adds the chat's visitor to the CRM or edits the
customer's name, e-mail and phone in the card, without the admin; owner and VIP stay staff's."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_customer_confirm
from crm.models import Customer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def add(client, chat, **fields):
    data = {f"customer-{k}": v for k, v in {"name": "", "email": "", "phone": "", **fields}.items()}
    return client.post(reverse("inbox:chat_customer_create", args=[chat.pk]), data)


def edit(client, chat, **fields):
    data = {f"customer-{k}": v for k, v in fields.items()}
    return client.post(reverse("inbox:chat_customer_update", args=[chat.pk]), data)


@pytest.fixture
def visitor_chat(start_chat, agent):
    chat = start_chat(name="Jan Kowalski", email="Jan.Kowalski@example.pl")
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


@pytest.fixture
def customer_chat(start_chat, agent):
    """A chat verified-linked to a customer (the agent confirmed him)."""
    Customer.objects.create(name="Ewa Nowak", email="ewa@example.pl", phone="+48 500")
    chat = start_chat(name="Ewa", email="ewa@example.pl")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    return chat_customer_confirm(chat_id=chat.pk, actor=agent)


def test_the_card_offers_to_add_the_visitor_prefilled_from_the_chat_without_the_admin(agent_client, visitor_chat):
    response = agent_client.get(reverse("inbox:chat", args=[visitor_chat.pk]))
    html = response.content.decode()
    assert 'data-testid="customer-add"' in html
    assert 'value="Jan Kowalski"' in html and 'value="jan.kowalski@example.pl"' in html
    assert "/admin/" not in html  # an agent has no admin: no button leads there
    assert 'name="customer-vip"' not in html and 'name="customer-owner"' not in html


def test_an_agent_adds_the_visitor_to_the_crm_and_the_chat_is_linked_as_his_statement(agent_client, agent,
                                                                                    visitor_chat):
    response = add(agent_client, visitor_chat, name="Jan Kowalski", email="jan.kowalski@example.pl",
                   phone="+48 600 100 200")
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.email, customer.phone) == ("Jan Kowalski", "jan.kowalski@example.pl",
                                                               "+48 600 100 200")
    chat = Chat.objects.get(pk=visitor_chat.pk)
    assert (chat.customer, chat.customer_verified, chat.customer_verified_via) == (customer, True, "agent")
    event = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.CUSTOMER_LINKED)
    assert (event.actor, event.data["created"]) == (agent, True)
    page = agent_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="customer-edit"' in page and "+48 600 100 200" in page


def test_a_duplicate_email_is_a_form_error_naming_the_customer_and_nothing_is_written(agent_client, visitor_chat):
    Customer.objects.create(name="Jan Kay", email="JAN.KOWALSKI@example.pl")
    response = add(agent_client, visitor_chat, name="Jan", email="jan.kowalski@EXAMPLE.pl")
    assert response.status_code == 200
    assert response.context["customer_form"].errors["email"] == [
        "A customer with this e-mail already exists: Jan Kay."
    ]
    assert 'data-testid="customer-add" open' not in response.content.decode()  # (attribute order)
    assert "<details class=\"customer-edit\" open" in response.content.decode()
    assert Customer.objects.count() == 1
    assert Chat.objects.get(pk=visitor_chat.pk).customer_id is None


def test_an_empty_customer_is_a_form_error(agent_client, visitor_chat):
    response = add(agent_client, visitor_chat)
    assert response.status_code == 200
    assert response.context["customer_form"].errors["name"] == [
        "Give the customer at least a name, an e-mail, a phone or a Messenger id."
    ]
    assert Customer.objects.count() == 0


def test_another_agents_chat_is_not_found(client, colleague, visitor_chat, customer_chat):
    client.force_login(colleague)
    assert add(client, visitor_chat, name="X").status_code == 404
    assert edit(client, customer_chat, name="X").status_code == 404
    assert Customer.objects.get().name == "Ewa Nowak"


def test_an_agent_forging_vip_and_owner_sets_neither(agent_client, agent, visitor_chat, customer_chat):
    add(agent_client, visitor_chat, name="Jan", vip="on", owner=agent.pk)
    edit(agent_client, customer_chat, name="Ewa Nowak", email="ewa@example.pl", vip="on", owner=agent.pk)
    assert list(Customer.objects.values_list("vip", "owner")) == [(False, None), (False, None)]


def test_an_agent_edits_the_customers_name_email_and_phone(agent_client, customer_chat):
    response = edit(agent_client, customer_chat, name="Ewa Nowak-Lis", email="Ewa.Lis@example.pl", phone="+48 501")
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert (customer.name, customer.email, customer.phone) == ("Ewa Nowak-Lis", "Ewa.Lis@example.pl", "+48 501")


def test_editing_to_another_customers_email_is_a_form_error(agent_client, customer_chat):
    Customer.objects.create(name="Jan", email="jan@example.pl")
    response = edit(agent_client, customer_chat, name="Ewa", email="JAN@example.pl")
    assert response.context["customer_form"].errors["email"] == ["A customer with this e-mail already exists: Jan."]
    assert Customer.objects.get(name="Ewa Nowak").email == "ewa@example.pl"


def test_a_claimed_customer_cannot_be_edited_until_confirmed(agent_client, start_chat, agent):
    Customer.objects.create(name="Ewa Nowak", email="ewa@example.pl")
    chat = chat_assign(chat_id=start_chat(email="ewa@example.pl").pk, agent_id=agent.pk)
    page = agent_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="customer-edit"' not in page and 'data-testid="customer-add"' not in page
    assert edit(agent_client, chat, name="Hijacked").status_code == 404
    assert Customer.objects.get().name == "Ewa Nowak"


def test_staff_set_vip_and_owner_in_the_card(client, admin_user, agent, customer_chat):
    client.force_login(admin_user)
    page = client.get(reverse("inbox:chat", args=[customer_chat.pk])).content.decode()
    assert 'name="customer-vip"' in page and 'data-testid="crm-link"' in page
    response = edit(client, customer_chat, name="Ewa Nowak", email="ewa@example.pl", vip="on", owner=agent.pk)
    assert response.status_code == 302
    assert Customer.objects.filter(vip=True, owner=agent).count() == 1


def test_a_duplicate_shown_to_staff_links_to_the_existing_customer(client, admin_user, visitor_chat):
    existing = Customer.objects.create(name="Jan Kay", email="jan.kowalski@example.pl")
    client.force_login(admin_user)
    response = add(client, visitor_chat, name="Jan", email="Jan.Kowalski@example.pl")
    assert reverse("admin:crm_customer_change", args=[existing.pk]) in response.content.decode()


def test_a_chat_already_linked_cannot_get_a_second_customer(agent_client, customer_chat):
    response = add(agent_client, customer_chat, name="Second")
    assert response.context["customer_form"].non_field_errors() == [
        "This chat is already linked to a customer in the CRM."
    ]
    assert Customer.objects.count() == 1


def test_an_internal_chat_has_no_customer_form(agent_client, agent, colleague):
    from chat.services.chats import chat_start

    chat = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=agent.pk, peer_id=colleague.pk)
    page = agent_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert "customer-add" not in page
    assert add(agent_client, chat, name="X").status_code == 200
    assert Customer.objects.count() == 0


def test_the_customers_email_is_one_cut_line_with_its_full_text_in_the_title(agent_client, customer_chat):
    page = agent_client.get(reverse("inbox:chat", args=[customer_chat.pk])).content.decode()
    assert '<dd class="one-line" title="ewa@example.pl" data-testid="customer-email">' in page



"""Issue 11 in the inbox: the same rules as the API (chat.services.permissions), the presence form's
redirect, and the customer card of an unverified (claimed) link."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_customer_verify
from tests import factories

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- point 3 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/inbox/", "http://evil.example"])
def test_the_presence_form_never_redirects_to_another_host(agent_client, next_url):
    """The issue's reproduction: a refused presence form (no pause type) answered 302 to ``next`` as given."""
    refused = agent_client.post(reverse("inbox:presence"), {"action": "pause", "next": next_url})
    accepted = agent_client.post(reverse("inbox:presence"), {"action": "available", "next": next_url})
    for response in (refused, accepted):
        assert response.status_code == 302
        assert response["Location"] == reverse("inbox:index")


def test_the_presence_form_keeps_a_next_on_this_site(agent_client, my_chat):
    here = reverse("inbox:chat", args=[my_chat.pk])
    response = agent_client.post(reverse("inbox:presence"), {"action": "pause", "next": here}, **HTMX)
    assert response["HX-Redirect"] == here


def test_an_agent_cannot_transfer_a_waiting_chat_of_his_queue(agent_client, colleague, start_chat):
    chat = start_chat()
    response = agent_client.post(reverse("inbox:chat_transfer", args=[chat.pk]),
                                 {"target": f"agent:{colleague.pk}"}, **HTMX)
    assert response["HX-Redirect"] == reverse("inbox:chat", args=[chat.pk])
    assert (Chat.objects.get(pk=chat.pk).status, Chat.objects.get(pk=chat.pk).agent_id) == ("waiting", None)
    assert "Czat może przekazać tylko obsługujący go agent lub personel." in flashes(response)  # pl, the default
    page = agent_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="transfer-target"' not in page
    assert 'data-testid="close-chat"' not in page


def test_an_agent_cannot_close_a_waiting_chat_of_his_queue(agent_client, start_chat):
    chat = start_chat()
    agent_client.post(reverse("inbox:chat_close", args=[chat.pk]), **HTMX)
    assert Chat.objects.get(pk=chat.pk).status == "waiting"


def test_staff_closing_someone_elses_chat_record_admin(client, agent, start_chat):
    boss = factories.AdminFactory(username="supervisor")
    client.force_login(boss)
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    page = client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="close-chat"' in page
    client.post(reverse("inbox:chat_close", args=[chat.pk]), **HTMX)
    assert Chat.objects.get(pk=chat.pk).close_reason == "admin"


# --- point 4: the customer card of a claimed link -----------------------------------------------------------


@pytest.fixture
def vip(db, colleague):
    return factories.CustomerFactory(name="Jan Kowalski (CRM)", email="jan@example.com", phone="+48 600 100 200",
                                     vip=True, owner=colleague)


@pytest.fixture
def claimed(start_chat, agent, vip):
    """A visitor typed the VIP's e-mail; earlier, the real Jan had a chat."""
    from chat.services.chats import chat_close

    earlier = start_chat(name="Jan", email="jan@example.com", key="e" * 20)
    chat_close(chat_id=earlier.pk, reason="agent")
    chat = start_chat(name="Someone", email="jan@example.com", key="c" * 20)
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


def test_an_unverified_link_shows_the_claim_and_hides_phone_history_crm_and_vip(agent_client, claimed):
    response = agent_client.get(reverse("inbox:chat", args=[claimed.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()

    assert response.context["history"] == []
    assert 'data-testid="unverified"' in html
    assert "jan@example.com" in html and "Someone" in html
    assert "+48 600 100 200" not in html
    assert "Jan Kowalski (CRM)" not in html
    assert 'data-testid="crm-link"' not in html
    assert 'class="vip"' not in html
    assert "Shown once the visitor's identity is verified." in html
    assert 'data-testid="confirm-customer"' in html


def test_the_confirm_button_verifies_the_link_and_the_card_shows_the_customer(agent_client, agent, claimed):
    response = agent_client.post(reverse("inbox:chat_confirm_customer", args=[claimed.pk]), **HTMX)

    assert response["HX-Redirect"] == reverse("inbox:chat", args=[claimed.pk])
    assert ChatEvent.objects.get(chat=claimed, kind="customer_verified").actor == agent
    html = agent_client.get(reverse("inbox:chat", args=[claimed.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="verified"' in html
    assert "+48 600 100 200" in html and "Jan Kowalski (CRM)" in html
    assert "Shown once the visitor's identity is verified." not in html
    assert 'data-testid="customer-edit"' in html  # the card edits him; an agent has no admin link
    assert 'data-testid="crm-link"' not in html
    assert 'class="vip"' in html
    assert 'data-testid="confirm-customer"' not in html


def test_a_signed_identity_shows_the_customer_at_once(agent_client, claimed):
    chat_customer_verify(chat_id=claimed.pk, via="signed_email")
    html = agent_client.get(reverse("inbox:chat", args=[claimed.pk])).content.decode()
    assert "+48 600 100 200" in html
    assert 'data-testid="confirm-customer"' not in html


def test_the_owner_sees_the_waiting_claim_but_not_the_customers_details(client, colleague, vip, start_chat):
    """A claim routes to the owner (SPEC), so he sees the waiting chat; the card stays a claim for him too."""
    other_queue = factories.QueueFactory(name="Elsewhere")
    chat = start_chat(name="Someone", email="jan@example.com", queue_obj=other_queue)
    client.force_login(colleague)
    html = client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert 'data-testid="unverified"' in html
    assert "+48 600 100 200" not in html
    assert 'data-testid="confirm-customer"' not in html  # he confirms once he has the chat


def test_a_waiting_claimed_vip_has_no_vip_mark_in_the_waiting_list(agent_client, vip, start_chat):
    start_chat(name="Someone", email="jan@example.com")
    sidebar = agent_client.get(reverse("inbox:index")).context["sidebar_html"]
    assert 'class="vip"' not in sidebar

"""The rules every way in shares (chat.services.permissions), checked at the services themselves, and the
identity of a chat's customer link (issue 11, points 3 and 4)."""

from __future__ import annotations

import pytest

from chat.models import Chat, ChatEvent
from chat.services.chats import (
    chat_assign,
    chat_close,
    chat_customer_confirm,
    chat_start,
    chat_transfer,
)
from chat.services.dispatch import dispatch
from chat.services.errors import ChatError
from core.errors import ApplicationError
from crm.services import customer_create, customer_update
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue():
    return factories.QueueFactory(name="Sales")


@pytest.fixture
def anna(agent_factory, queue):
    return agent_factory(username="anna", queue=queue)


@pytest.fixture
def bartek(agent_factory, queue):
    return agent_factory(username="bartek", queue=queue)


@pytest.fixture
def boss(agent_factory):
    return agent_factory(username="boss", is_staff=True)


def website(queue, **fields):
    return chat_start(channel="website", queue_id=queue.pk, visitor_name="Visitor", **fields)


# --- point 3 at the services ---------------------------------------------------------------------------------


def test_a_transfer_by_an_agent_who_lost_the_chat_meanwhile_is_refused(queue, anna, bartek):
    """The rule is checked on the locked row: the chat went to bartek after anna's page showed it as hers."""
    chat = chat_assign(chat_id=website(queue).pk, agent_id=anna.pk)
    chat_transfer(chat_id=chat.pk, to_agent_id=bartek.pk)  # the system (no-reply rule, staff) moved it

    with pytest.raises(ChatError) as refused:
        chat_transfer(chat_id=chat.pk, to_queue_id=queue.pk, actor=anna)

    assert (refused.value.code, refused.value.field) == ("forbidden", "chat")
    assert Chat.objects.get(pk=chat.pk).agent_id == bartek.pk


@pytest.mark.parametrize("reason", ["system", "inactivity", "client", "admin"])
def test_an_agent_records_only_the_reason_agent(queue, anna, reason):
    chat = chat_assign(chat_id=website(queue).pk, agent_id=anna.pk)
    with pytest.raises(ChatError) as refused:
        chat_close(chat_id=chat.pk, reason=reason, actor=anna)
    assert (refused.value.code, refused.value.field) == ("forbidden", "reason")
    assert Chat.objects.get(pk=chat.pk).status == "assigned"


@pytest.mark.parametrize("reason", ["system", "inactivity", "client"])
def test_staff_record_no_system_reason_either(queue, anna, boss, reason):
    chat = chat_assign(chat_id=website(queue).pk, agent_id=anna.pk)
    with pytest.raises(ChatError):
        chat_close(chat_id=chat.pk, reason=reason, actor=boss)


def test_the_system_still_records_its_reasons(queue, anna):
    chat = chat_assign(chat_id=website(queue).pk, agent_id=anna.pk)
    assert chat_close(chat_id=chat.pk, reason="inactivity").close_reason == "inactivity"


def test_an_agent_sets_no_owner_or_vip_but_the_system_and_staff_do(anna, boss):
    with pytest.raises(ApplicationError) as refused:
        customer_create(email="a@example.com", owner_id=anna.pk, actor=anna)
    assert refused.value.field == "owner"
    customer = customer_create(email="a@example.com", vip=True, actor=boss)
    with pytest.raises(ApplicationError):
        customer_update(customer_id=customer.pk, vip=False, actor=anna)
    assert customer_update(customer_id=customer.pk, owner=anna.pk).owner_id == anna.pk  # seed, admin commands


# --- point 4: a typed e-mail is a claim ----------------------------------------------------------------------


def test_a_typed_email_links_the_customer_as_a_claim_and_still_routes_to_his_owner(queue, anna, bartek):
    customer = factories.CustomerFactory(email="jan@example.com", owner=bartek, vip=True)
    chat = website(queue, visitor_email="jan@example.com")

    assert (chat.customer_id, chat.customer_verified) == (customer.pk, False)
    assert dispatch() == 1
    assert Chat.objects.get(pk=chat.pk).agent_id == bartek.pk  # SPEC: a claim may route the chat to the owner


def test_a_customer_created_from_the_chat_is_a_claim_too(queue, chat_settings):
    chat_settings.auto_add_to_crm = True
    chat_settings.save()
    chat = website(queue, visitor_email="new@example.com")
    assert chat.customer is not None
    assert chat.customer_verified is False


def test_the_agent_handling_the_chat_confirms_the_customer_with_an_event(queue, anna):
    factories.CustomerFactory(email="jan@example.com")
    chat = chat_assign(chat_id=website(queue, visitor_email="jan@example.com").pk, agent_id=anna.pk)

    confirmed = chat_customer_confirm(chat_id=chat.pk, actor=anna)

    assert (confirmed.customer_verified, confirmed.customer_verified_via) == (True, "agent")
    event = ChatEvent.objects.get(chat=chat, kind="customer_verified")
    assert (event.actor, event.reason) == (anna, "agent")


def test_a_colleague_or_a_closed_chat_cannot_be_confirmed(queue, anna, bartek, boss):
    factories.CustomerFactory(email="jan@example.com")
    chat = chat_assign(chat_id=website(queue, visitor_email="jan@example.com").pk, agent_id=anna.pk)
    with pytest.raises(ChatError) as refused:
        chat_customer_confirm(chat_id=chat.pk, actor=bartek)
    assert refused.value.code == "forbidden"
    chat_close(chat_id=chat.pk, reason="agent", actor=anna)
    with pytest.raises(ChatError) as refused:
        chat_customer_confirm(chat_id=chat.pk, actor=boss)
    assert refused.value.code == "closed"
    assert not ChatEvent.objects.filter(kind="customer_verified").exists()


def test_a_person_cannot_vouch_for_a_visitor_unless_staff(queue, anna, boss):
    factories.CustomerFactory(email="jan@example.com")
    with pytest.raises(ChatError) as refused:
        website(queue, visitor_email="jan@example.com", verified_via="integration", actor=anna)
    assert (refused.value.code, refused.value.field) == ("forbidden", "customer_verified")
    with pytest.raises(ChatError):
        website(queue, visitor_email="jan@example.com", verified_via="signed_email", actor=boss)
    assert not Chat.objects.exists()
    chat = website(queue, visitor_email="jan@example.com", verified_via="integration", actor=boss)
    assert chat.customer_verified is True


def test_a_messenger_sender_is_a_verified_identity(queue, db):
    from chat.messenger.services import messenger_message_receive

    customer = factories.CustomerFactory(email=None, messenger_id="PSID-9", vip=True)
    message = messenger_message_receive(sender_id="PSID-9", mid="m-9", text="Hi")
    chat = Chat.objects.get(pk=message.chat_id)
    assert (chat.customer_id, chat.customer_verified, chat.customer_verified_via) == (customer.pk, True, "messenger")


def test_an_agent_assigns_only_to_himself_staff_to_anyone(queue, anna, bartek, boss):
    chat = website(queue)
    with pytest.raises(ChatError) as refused:
        chat_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=anna)
    assert (refused.value.code, refused.value.field) == ("forbidden", "agent")
    assert Chat.objects.get(pk=chat.pk).status == "waiting"
    assert chat_assign(chat_id=chat.pk, agent_id=bartek.pk, actor=boss).agent_id == bartek.pk

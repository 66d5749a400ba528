"""Signed identities in the widget (issue 11, point 4): a host page whose visitors are logged in signs the
e-mail with HMAC-SHA256 and the widget secret; a valid signature verifies the link, a wrong one is refused
and nothing is created, none leaves the typed e-mail a claim."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from rest_framework.test import APIClient

from chat.models import Chat, ChatEvent
from crm.models import Customer
from tests import factories

SECRET = "widget-secret-for-tests"
KEY = "visitor-key-0123456789"


def signature(email: str, secret: str = SECRET) -> str:
    """What the host page's server computes (docs/inbox.md, "Signed identities")."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def secret(settings):
    settings.WIDGET_IDENTITY_SECRETS = [SECRET]
    return SECRET


@pytest.fixture
def vip(db):
    return factories.CustomerFactory(name="Jan Kowalski", email="Jan@Example.com", vip=True)


def start(queue, **fields):
    body = {"name": "Jan", "queue": queue.pk, "visitor_key": KEY, **fields}
    return APIClient().post("/widget/v1/chats/", body, format="json")


def test_a_signed_email_verifies_the_link(secret, queue, vip):
    response = start(queue, email="jan@example.com", email_signature=signature("jan@example.com"))

    assert response.status_code == 201, response.content
    chat = Chat.objects.get(pk=response.json()["chat"]["id"])
    assert (chat.customer_id, chat.customer_verified, chat.customer_verified_via) == (vip.pk, True, "signed_email")
    linked = ChatEvent.objects.get(chat=chat, kind="customer_linked")
    assert (linked.data["verified"], linked.data["via"]) == (True, "signed_email")


def test_the_signature_is_of_the_lower_cased_email_in_upper_or_lower_hex(secret, queue, vip):
    response = start(queue, email="JAN@example.com", email_signature=signature("jan@example.com").upper())
    assert response.status_code == 201
    assert Chat.objects.get().customer_verified is True


def test_a_wrong_signature_is_refused_naming_the_field_and_creates_nothing(secret, queue, vip, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    response = start(queue, email="jan@example.com", email_signature=signature("jan@example.com", "guessed"))

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_signature"
    assert "email_signature" in response.json()
    assert not Chat.objects.exists()
    assert list(Customer.objects.all()) == [vip]


def test_a_signature_of_another_email_is_refused(secret, queue, vip):
    response = start(queue, email="jan@example.com", email_signature=signature("someone@example.com"))
    assert response.status_code == 400
    assert not Chat.objects.exists()


def test_a_signature_without_an_email_is_refused_naming_the_email(secret, queue):
    response = start(queue, email_signature=signature("jan@example.com"))
    assert response.status_code == 400
    assert "email" in response.json()
    assert not Chat.objects.exists()


def test_without_a_signature_the_email_is_a_claim(secret, queue, vip):
    response = start(queue, email="jan@example.com")
    chat = Chat.objects.get(pk=response.json()["chat"]["id"])
    assert (chat.customer_id, chat.customer_verified) == (vip.pk, False)


def test_with_signed_identities_off_a_signature_leaves_a_claim(settings, queue, vip):
    settings.WIDGET_IDENTITY_SECRETS = []
    response = start(queue, email="jan@example.com", email_signature=signature("jan@example.com"))
    assert response.status_code == 201
    assert Chat.objects.get().customer_verified is False


def test_during_a_rotation_both_secrets_are_accepted(settings, queue, vip):
    settings.WIDGET_IDENTITY_SECRETS = ["new-secret", "old-secret"]
    assert start(queue, email="jan@example.com", email_signature=signature("jan@example.com", "old-secret")
                 ).status_code == 201
    assert Chat.objects.get().customer_verified is True


def test_a_visitor_who_logs_in_during_the_chat_gets_it_verified_on_resume(secret, queue, vip):
    first = start(queue, email="jan@example.com").json()
    again = start(queue, email="jan@example.com", email_signature=signature("jan@example.com")).json()

    assert again["chat"]["id"] == first["chat"]["id"]
    chat = Chat.objects.get(pk=first["chat"]["id"])
    assert (chat.customer_verified, chat.customer_verified_via) == (True, "signed_email")
    assert ChatEvent.objects.filter(chat=chat, kind="customer_verified").count() == 1


def test_a_signed_resume_with_another_email_does_not_verify_the_chat(secret, queue, vip):
    first = start(queue, email="jan@example.com").json()
    start(queue, email="other@example.com", email_signature=signature("other@example.com"))
    assert Chat.objects.get(pk=first["chat"]["id"]).customer_verified is False


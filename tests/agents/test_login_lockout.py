"""Issue 11, point 5: logins to the inbox and the admin are limited per user and per address
(django-axes), with the lockout message in the page's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from tests import factories

LOCKED = {
    "pl": "Konto zablokowane: zbyt wiele prób logowania. Spróbuj ponownie później.",
    "en": "Account locked: too many login attempts. Please try again later.",
}
WRONG = {"pl": "Nazwa użytkownika lub hasło są błędne.", "en": "The user name or the password is wrong."}
ATTACKER, OTHER = "198.51.100.66", "203.0.113.5"


@pytest.fixture
def anna(db):
    return factories.UserFactory(username="anna")


@pytest.fixture
def bartek(db):
    return factories.UserFactory(username="bartek")


def inbox_login(username: str, password: str, *, address: str, language: str = "pl", **headers):
    return Client().post(
        "/inbox/login/", {"username": username, "password": password},
        REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **headers,
    )


def text(response) -> str:
    return response.content.decode()


def fail_until_locked(username: str, *, address: str, language: str = "pl") -> None:
    """Wrong passwords up to the limit: the last one already answers with the lockout."""
    limit = settings.AXES_FAILURE_LIMIT
    for attempt in range(1, limit + 1):
        response = inbox_login(username, "wrong-password", address=address, language=language)
        if attempt < limit:
            assert response.status_code == 200
            assert WRONG[language] in text(response)
        else:
            assert response.status_code == 429
            assert LOCKED[language] in text(response)


@pytest.mark.parametrize("language", ["pl", "en"])
def test_wrong_passwords_lock_the_user_out_with_a_translated_message(anna, language):
    fail_until_locked("anna", address=ATTACKER, language=language)
    # Even the right password is refused now, on the login page and in the page's language.
    response = inbox_login("anna", "parley-test", address=ATTACKER, language=language)
    assert response.status_code == 429
    assert LOCKED[language] in text(response)
    assert 'name="password"' in text(response)
    assert "_auth_user_id" not in response.client.session


def test_the_lockout_follows_the_user_to_another_address(anna):
    fail_until_locked("anna", address=ATTACKER)
    response = inbox_login("anna", "parley-test", address=OTHER)
    assert response.status_code == 429 and LOCKED["pl"] in text(response)


def test_the_lockout_holds_the_address_for_every_user_and_only_that_address(anna, bartek):
    fail_until_locked("anna", address=ATTACKER)
    refused = inbox_login("bartek", "parley-test", address=ATTACKER)
    assert refused.status_code == 429 and LOCKED["pl"] in text(refused)
    served = inbox_login("bartek", "parley-test", address=OTHER)
    assert (served.status_code, served["Location"]) == (302, "/inbox/")


def test_guessing_many_users_from_one_address_locks_the_address_whatever_it_forwards(anna, bartek):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        inbox_login(f"guess-{n}", "wrong-password", address=ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    refused = inbox_login("anna", "parley-test", address=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert refused.status_code == 429 and LOCKED["pl"] in text(refused)
    # No user name reached the limit: anna logs in from elsewhere.
    assert inbox_login("anna", "parley-test", address=OTHER).status_code == 302


def test_the_admin_login_is_limited_too(anna):
    factories.AdminFactory(username="boss")
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit):
        response = Client().post(
            "/admin/login/?next=/admin/", {"username": "boss", "password": "wrong", "next": "/admin/"},
            REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 429
    assert LOCKED["en"] in text(response)
    response = Client().post(
        "/admin/login/?next=/admin/", {"username": "boss", "password": "parley-test", "next": "/admin/"},
        REMOTE_ADDR=OTHER, HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 429 and LOCKED["en"] in text(response)


def test_a_lockout_ends_after_the_cool_off_since_the_last_failure(anna):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_until_locked("anna", address=ATTACKER)
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME - timedelta(minutes=1), tick=False):
        assert inbox_login("anna", "parley-test", address=OTHER).status_code == 429
    # That refused attempt was a failure too: the cool-off counts from it.
    with time_machine.travel(start + 2 * settings.AXES_COOLOFF_TIME, tick=False):
        assert inbox_login("anna", "parley-test", address=OTHER).status_code == 302


def test_axes_reset_lifts_every_lockout(anna):
    fail_until_locked("anna", address=ATTACKER)
    call_command("axes_reset")
    assert inbox_login("anna", "parley-test", address=ATTACKER).status_code == 302

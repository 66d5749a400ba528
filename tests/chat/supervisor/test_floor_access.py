"""The supervisor's pages are for staff: an agent gets 403, somebody logged out the login page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_staff_see_the_floor(client):
    client.force_login(factories.UserFactory(is_staff=True))

    assert client.get(reverse("supervisor:floor")).status_code == 200


def test_an_agent_who_is_not_staff_is_refused(client):
    client.force_login(factories.UserFactory())

    assert client.get(reverse("supervisor:floor")).status_code == 403


def test_somebody_logged_out_is_sent_to_the_login_page(client):
    response = client.get(reverse("supervisor:floor"))

    assert response.status_code == 302 and reverse("inbox:login") in response["Location"]

"""The admin's privacy requests: the request page (a customer or an e-mail; export or erase), the customers'
actions "Export personal data" and "Erase personal data" with their confirmation, the buttons on a customer's page,
the audit records (read-only). Bad input is refused on its field and changes nothing."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from chat.models import Chat, Message
from crm.models import Customer
from privacy.models import PrivacyRequest
from tests import factories

from .scenario import EMAIL, NAME, OTHER_EMAIL

pytestmark = pytest.mark.django_db

PAGE = "/admin/privacy/privacyrequest/add/"
RECORDS = "/admin/privacy/privacyrequest/"
CUSTOMERS = "/admin/crm/customer/"


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def stored() -> tuple[int, int, int]:
    return Customer.objects.count(), Chat.objects.count(), Message.objects.count()


def zip_of(response) -> dict:
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(archive.read("export.json"))


def test_the_request_page_offers_export_and_erase_by_customer_or_e_mail(admin_client, person):
    response = admin_client.get(PAGE + f"?customer={person.customer.pk}&kind=erase")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Export or erase personal data" in page
    assert 'value="erase" checked' in page.replace("\n", " ") or 'value="erase"' in page
    assert f'<option value="{person.customer.pk}" selected>' in page  # the customer chosen on his page
    assert "I confirm: erase everything stored about this person." in page


def test_an_export_from_the_page_downloads_the_archive(admin_client, person):
    response = admin_client.post(PAGE, {"kind": "export", "email": EMAIL})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert zip_of(response)["customer"]["name"] == NAME
    assert PrivacyRequest.objects.get().via == "admin"


def test_an_erasure_from_the_page_needs_the_confirmation_and_shows_what_it_covers(
    admin_client, person, django_capture_on_commit_callbacks
):
    before = stored()
    refused = admin_client.post(PAGE, {"kind": "erase", "customer": person.customer.pk})
    assert refused.status_code == 200
    page = refused.content.decode()
    assert "Confirm the erasure: it deletes everything stored about this person and cannot be undone." in page
    assert "chats: 5" in page and "open chats (closed first): 1" in page and "stored files: 2" in page
    assert stored() == before and not PrivacyRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(PAGE, {"kind": "erase", "customer": person.customer.pk, "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == RECORDS
    record = PrivacyRequest.objects.get()
    message = [str(m) for m in get_messages(done.wsgi_request)][0]
    assert message.startswith(f"Erased. Reference {record.reference}: customers: 1, chats: 5")
    assert not Customer.objects.filter(pk=person.customer.pk).exists()
    assert Customer.objects.filter(email=OTHER_EMAIL).exists()


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"kind": "export", "customer": "987654"}, "customer",
         "Select a valid choice. That choice is not one of the available choices."),
        ({"kind": "export", "email": "jan@"}, "email", "Enter a valid e-mail address."),
        ({"kind": "export"}, None, "Give the customer or the e-mail address the request is about."),
        ({"kind": "erase", "email": "", "confirm": "on"}, None,
         "Give the customer or the e-mail address the request is about."),
        ({"kind": "export", "customer": "{customer}", "email": EMAIL}, None,
         "Give either a customer or an e-mail address, not both."),
        ({"kind": "delete", "email": EMAIL}, "kind",
         "Select a valid choice. delete is not one of the available choices."),
    ],
)
def test_bad_input_on_the_request_page_is_refused_on_its_field_and_changes_nothing(
    admin_client, person, data, field, error
):
    before = stored()
    data = {key: value.format(customer=person.customer.pk) for key, value in data.items()}
    response = admin_client.post(PAGE, data)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors[field or "__all__"] == [error]
    assert stored() == before and not PrivacyRequest.objects.exists()


def test_a_non_staff_user_cannot_open_the_page(client, agent, person):
    client.force_login(agent)
    for response in (client.get(PAGE), client.post(PAGE, {"kind": "erase", "email": EMAIL, "confirm": "on"})):
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert Customer.objects.filter(pk=person.customer.pk).exists()


def test_staff_without_the_permission_get_403_and_no_buttons(client, person):
    clerk = factories.UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(codename__in=["view_customer", "change_customer"]))
    client.force_login(clerk)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, {"kind": "erase", "email": EMAIL, "confirm": "on"}).status_code == 403
    page = client.get(f"{CUSTOMERS}{person.customer.pk}/change/").content.decode()
    assert "privacy-erase" not in page
    changelist = client.get(CUSTOMERS).content.decode()
    assert "erase_personal_data" not in changelist
    assert Customer.objects.filter(pk=person.customer.pk).exists()


def test_a_customers_page_has_both_requests_beside_history(admin_client, person):
    page = admin_client.get(f"{CUSTOMERS}{person.customer.pk}/change/").content.decode()
    assert f'{PAGE}?customer={person.customer.pk}&amp;kind=export' in page
    assert f'{PAGE}?customer={person.customer.pk}&amp;kind=erase' in page


def test_the_customers_export_action_downloads_one_customers_archive(admin_client, person, other):
    response = admin_client.post(CUSTOMERS, {"action": "export_personal_data",
                                             "_selected_action": [person.customer.pk]})
    assert response["Content-Type"] == "application/zip"
    assert zip_of(response)["customer"]["id"] == person.customer.pk

    several = admin_client.post(CUSTOMERS, {"action": "export_personal_data",
                                            "_selected_action": [person.customer.pk, other.customer.pk]},
                                follow=True)
    assert "Select exactly one customer to export his data." in several.content.decode()
    assert PrivacyRequest.objects.count() == 1


def test_the_customers_erase_action_asks_then_erases_with_one_record_each(
    admin_client, person, other, django_capture_on_commit_callbacks
):
    selected = {"action": "erase_personal_data", "_selected_action": [person.customer.pk, other.customer.pk]}
    asked = admin_client.post(CUSTOMERS, selected)
    page = asked.content.decode()
    assert asked.status_code == 200 and "Erase the personal data of 2 customers?" in page
    assert NAME in page and "chats: 5" in page
    before = stored()

    unconfirmed = admin_client.post(CUSTOMERS, {**selected, "post": "yes"})
    assert unconfirmed.status_code == 200
    assert "Confirm the erasure: it deletes everything stored about this person and cannot be undone." in (
        unconfirmed.content.decode())
    assert stored() == before and not PrivacyRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(CUSTOMERS, {**selected, "post": "yes", "confirm": "on"}, follow=True)
    assert done.status_code == 200
    assert PrivacyRequest.objects.filter(kind="erase", subject_kind="customer").count() == 2
    assert not Customer.objects.exists() and not Chat.objects.exists()
    assert done.content.decode().count("Erased. Reference PR-") == 2


def test_the_audit_records_are_read_only(admin_client, person):
    admin_client.post(PAGE, {"kind": "export", "customer": person.customer.pk})
    record = PrivacyRequest.objects.get()
    listing = admin_client.get(RECORDS).content.decode()
    assert record.reference in listing and "customers: 1, chats: 5" in listing
    detail = admin_client.get(f"{RECORDS}{record.pk}/change/")
    assert detail.status_code == 200 and 'data-count="chats"' in detail.content.decode()
    assert admin_client.post(f"{RECORDS}{record.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PrivacyRequest.objects.filter(pk=record.pk).exists()

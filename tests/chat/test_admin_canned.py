"""Canned responses in the admin: written through the services, refusals shown on their fields, list filters."""

from __future__ import annotations

import pytest

from chat.models import CannedResponse
from chat.services.canned import canned_create
from tests import factories

pytestmark = pytest.mark.django_db

ADD = "/admin/chat/cannedresponse/add/"
Scope = CannedResponse.Scope


@pytest.fixture
def admin(client, admin_user):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


def form(**values) -> dict:
    return {"scope": "global", "queue": "", "owner": "", "shortcut": "hello", "title": "Hello", "body": "Hi!",
            **values}


def test_admin_adds_a_queue_response(admin):
    queue = factories.QueueFactory(name="Sales")
    response = admin.post(ADD, form(scope="queue", queue=queue.pk))
    assert response.status_code == 302, response.context["adminform"].form.errors
    canned = CannedResponse.objects.get()
    assert (canned.scope, canned.queue_id, canned.owner_id) == (Scope.QUEUE, queue.pk, None)


def test_a_taken_shortcut_is_shown_once_on_its_field(admin, admin_user):
    canned_create(actor=admin_user, scope=Scope.GLOBAL, shortcut="hello", title="Hello", body="Hi!")
    response = admin.post(ADD, form(title="Again"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors == {"shortcut": ["A global canned response with this shortcut already exists."]}
    assert CannedResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [({"scope": "queue"}, "queue"), ({"scope": "personal", "queue": "QUEUE"}, "queue"),
     ({"shortcut": "two words"}, "shortcut")],
)
def test_a_scope_without_its_key_is_refused_on_the_field(admin, values, field):
    queue = factories.QueueFactory(name="Sales")
    values = {k: (queue.pk if v == "QUEUE" else v) for k, v in values.items()}
    response = admin.post(ADD, form(**values))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == [field]
    assert not CannedResponse.objects.exists()


def test_admin_edits_and_deletes(admin, admin_user):
    agent = factories.UserFactory(username="anna")
    canned = canned_create(actor=agent, shortcut="mine", title="Mine", body="b")
    url = f"/admin/chat/cannedresponse/{canned.pk}/change/"
    response = admin.post(url, form(scope="personal", owner=agent.pk, shortcut="mine", body="changed"))
    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.body, canned.owner_id) == ("changed", agent.pk)
    assert admin.post(f"/admin/chat/cannedresponse/{canned.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not CannedResponse.objects.exists()


def test_the_list_filters_by_scope_and_searches(admin, admin_user):
    queue = factories.QueueFactory(name="Sales")
    canned_create(actor=admin_user, scope=Scope.GLOBAL, shortcut="hello", title="Hello", body="Hi!")
    canned_create(actor=admin_user, scope=Scope.QUEUE, queue_id=queue.pk, shortcut="hours", title="Hours", body="8")
    page = admin.get("/admin/chat/cannedresponse/", {"scope__exact": "queue"}).content.decode()
    assert "hours" in page and ">hello<" not in page
    found = admin.get("/admin/chat/cannedresponse/", {"q": "Hel"}).content.decode()
    assert ">hello<" in found and "hours" not in found

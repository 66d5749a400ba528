"""Pause types: the five built-ins cannot be deleted (model, queryset, admin); one's own can."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db.models import ProtectedError
from django.utils import translation

from agents.models import PauseType
from agents.services import pause_type_delete
from chat.models import ChatSettings
from chat.services.settings import chat_settings_update

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/agents/pausetype/"


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def custom():
    return PauseType.objects.create(name="Szkolenie")


def test_five_built_ins_carry_polish_labels():
    """The seed's names, except its two English words (issue 14, point 8: they showed as such in Polish)."""
    with translation.override("pl"):
        labels = [pause.label for pause in PauseType.objects.filter(built_in=True).order_by("id")]
    assert labels == ["po rozmowie", "administracyjna", "przerwa", "zad. służbowe", "oddzwanianie"]


def test_built_ins_have_english_labels_in_english():
    with translation.override("en"):
        labels = [pause.label for pause in PauseType.objects.filter(built_in=True).order_by("id")]
    assert labels == ["Wrap-up", "Administrative", "Break", "Business task", "Callback progress"]


def test_built_in_pause_type_cannot_be_deleted_by_the_model():
    pause = PauseType.objects.get(code="break")
    with pytest.raises(ProtectedError):
        pause.delete()
    assert PauseType.objects.filter(code="break").exists()


def test_queryset_delete_with_a_built_in_deletes_nothing(custom):
    with pytest.raises(ProtectedError):
        PauseType.objects.filter(pk__in=[custom.pk, PauseType.objects.get(code="wrap_up").pk]).delete()
    assert PauseType.objects.count() == 6


def test_custom_pause_type_can_be_deleted_by_the_model(custom):
    custom.delete()
    assert not PauseType.objects.filter(name="Szkolenie").exists()


def test_admin_delete_page_of_a_built_in_is_forbidden(admin):
    pause = PauseType.objects.get(code="administrative")
    assert admin.get(f"{CHANGELIST}{pause.pk}/delete/").status_code == 403
    assert admin.post(f"{CHANGELIST}{pause.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PauseType.objects.filter(pk=pause.pk).exists()


def test_admin_bulk_delete_refuses_built_ins_with_a_message(admin, custom):
    built_in = PauseType.objects.get(code="break")
    response = admin.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [custom.pk, built_in.pk], "post": "yes"}
    )
    assert response.status_code == 302
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert messages == ["Wbudowanych typów pauzy nie można usunąć: przerwa. Nic nie zostało usunięte."]
    assert PauseType.objects.filter(pk__in=[custom.pk, built_in.pk]).count() == 2


def test_admin_bulk_delete_deletes_custom_pause_types(admin, custom):
    response = admin.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [custom.pk], "post": "yes"})
    assert response.status_code == 302
    assert not PauseType.objects.filter(pk=custom.pk).exists()


def test_admin_deletes_a_custom_pause_type_from_its_page(admin, custom):
    response = admin.post(f"{CHANGELIST}{custom.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not PauseType.objects.filter(pk=custom.pk).exists()


def test_admin_shows_a_built_ins_name_and_code_read_only(admin):
    pause = PauseType.objects.get(code="wrap_up")
    html = admin.get(f"{CHANGELIST}{pause.pk}/change/").content.decode()
    assert 'name="name"' not in html
    assert "wrap_up" in html
    assert admin.post(f"{CHANGELIST}{pause.pk}/change/", {"name": "renamed"}).status_code == 403
    assert PauseType.objects.get(pk=pause.pk).name == "wrap-up"


def test_admin_renames_a_custom_pause_type(admin, custom):
    response = admin.post(f"{CHANGELIST}{custom.pk}/change/", {"name": "Szkolenie BHP"})
    assert response.status_code == 302
    assert PauseType.objects.get(pk=custom.pk).name == "Szkolenie BHP"


def test_admin_adds_a_pause_type_of_ones_own(admin):
    assert admin.post(f"{CHANGELIST}add/", {"name": "Spotkanie"}).status_code == 302
    assert PauseType.objects.get(name="Spotkanie").built_in is False


def test_deleting_the_cards_no_reply_pause_leaves_the_card_with_none(custom):
    """The card's "pause on no reply" is the agents app's pause type; deleting it (through the agents' service,
    which knows nothing of the card) leaves the card without one, and the card keeps its other values."""
    card = ChatSettings.load()
    chat_settings_update(no_reply_pause_type=custom.pk, max_concurrent_chats=4)

    pause_type_delete(pause_type_id=custom.pk)

    card.refresh_from_db()
    assert (card.no_reply_pause_type_id, card.max_concurrent_chats) == (None, 4)
    assert not PauseType.objects.filter(pk=custom.pk).exists()


def test_a_pause_type_differing_only_in_case_is_refused_by_the_service_and_the_database():
    from django.db import IntegrityError, transaction

    from agents.services import pause_type_create, pause_type_update
    from core.errors import ApplicationError

    PauseType.objects.create(name="Szkolenie")
    with pytest.raises(ApplicationError) as refused:
        pause_type_create(name="SZKOLENIE")
    assert (refused.value.field, refused.value.code) == ("name", "unique")
    other = pause_type_create(name="Coaching")
    with pytest.raises(ApplicationError):
        pause_type_update(pause_type_id=other.pk, name="szkolenie")
    assert pause_type_update(pause_type_id=other.pk, name="COACHING").name == "COACHING"  # its own name is fine
    with pytest.raises(IntegrityError), transaction.atomic():
        PauseType.objects.create(name="szkolenie")


def test_the_admin_refuses_a_pause_type_differing_only_in_case_with_a_form_error(admin, custom):
    with translation.override("en"):
        response = admin.post(f"{CHANGELIST}add/", {"name": "szkolenie"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert PauseType.objects.filter(name__iexact="szkolenie").count() == 1


def test_the_migration_renames_case_duplicates_instead_of_failing():
    import importlib

    from django.apps import apps

    PauseType.objects.create(name="Szkolenie")
    migration = importlib.import_module("agents.migrations.0005_pause_type_name_ci_unique")
    from django.db import connection

    with connection.schema_editor() as editor:  # the data of before the constraint, staged without it
        editor.remove_constraint(PauseType, PauseType._meta.constraints[0])
        PauseType.objects.create(name="SZKOLENIE")
        PauseType.objects.create(name="szkolenie")
        migration.rename_case_duplicates(apps, editor)
        editor.add_constraint(PauseType, PauseType._meta.constraints[0])
    names = sorted(PauseType.objects.filter(name__istartswith="szkolenie").values_list("name", flat=True))
    assert names == ["SZKOLENIE (2)", "Szkolenie", "szkolenie (3)"]

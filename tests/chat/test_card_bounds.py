"""Every number of the card has an upper bound, enforced alike by the model, the service, the admin card and
the database (issue 11, point 10). The API's refusals are in tests/chat/api/test_settings_api.py; the rules and
an upload with every number at its maximum in tests/chat/rules/test_card_at_maximum.py and
tests/chat/api/test_attachments_api.py."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from chat.models import ChatSettings
from chat.services.errors import ChatError
from chat.services.settings import chat_settings_update
from tests.chat.card_bounds import MAXIMUM, TOO_LARGE

from .test_admin_card import CARD_URL, card_post_data, card_state

pytestmark = pytest.mark.django_db



def too_large_message(high: int) -> str:
    return f"Ensure this value is less than or equal to {high}."


@pytest.fixture
def admin(client, admin_user, chat_settings):
    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    return client


def test_every_number_of_the_card_has_a_documented_maximum():
    numbers = {
        f.name for f in ChatSettings._meta.concrete_fields if f.get_internal_type() == "PositiveIntegerField"
    }
    assert numbers == set(MAXIMUM)
    assert {name: ChatSettings.limits(name)["max_value"] for name in MAXIMUM} == MAXIMUM


# --- the model ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MAXIMUM))
def test_the_model_accepts_each_maximum(chat_settings, name):
    setattr(chat_settings, name, MAXIMUM[name])
    chat_settings.full_clean()


@pytest.mark.parametrize(("name", "value", "high"), TOO_LARGE)
def test_the_model_refuses_a_value_over_the_maximum(chat_settings, name, value, high):
    setattr(chat_settings, name, value)
    with translation.override("en"):
        with pytest.raises(ValidationError) as refused:
            chat_settings.full_clean()
        assert refused.value.message_dict == {name: [too_large_message(high)]}


@pytest.mark.parametrize(("name", "value", "high"), TOO_LARGE)
def test_the_service_refuses_a_value_over_the_maximum_and_saves_nothing(chat_settings, name, value, high):
    before = card_state()
    with translation.override("en"):
        with pytest.raises(ChatError) as refused:
            chat_settings_update(**{"auto_add_to_crm": True, name: value})
        assert (refused.value.field, refused.value.code, str(refused.value)) == (
            name, "max_value", too_large_message(high)
        )
    assert card_state() == before


@pytest.mark.parametrize(("name", "value", "high"), TOO_LARGE)
def test_the_database_refuses_a_value_over_the_maximum_written_behind_the_services_back(
    chat_settings, name, value, high
):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatSettings.objects.filter(pk=chat_settings.pk).update(**{name: value})
    ChatSettings.objects.filter(pk=chat_settings.pk).update(**{name: high})


def test_the_database_refuses_a_download_time_of_zero(chat_settings):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatSettings.objects.filter(pk=chat_settings.pk).update(file_download_hours=0)


# --- the admin card -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(MAXIMUM))
def test_the_admin_card_saves_each_maximum(admin, name):
    response = admin.post(CARD_URL, card_post_data(ChatSettings.load(), **{name: MAXIMUM[name]}))
    assert response.status_code == 302
    assert getattr(ChatSettings.load(), name) == MAXIMUM[name]


@pytest.mark.parametrize(("name", "value", "high"), TOO_LARGE)
def test_the_admin_card_refuses_a_value_over_the_maximum_and_saves_nothing(admin, name, value, high):
    before = card_state()
    data = card_post_data(ChatSettings.load(), chat_order=["vip", "longest_waiting", "shortest_waiting"],
                          **{"delete_chats_after_days": 30, name: value})
    response = admin.post(CARD_URL, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[name] == [too_large_message(high)]
    assert card_state() == before


def test_the_admin_card_tells_the_browser_each_bound(admin):
    html = admin.get(CARD_URL).content.decode()
    for name, high in MAXIMUM.items():
        tag = re.search(rf'<input type="number" name="{name}"[^>]*>', html).group(0)
        assert f'max="{high}"' in tag, tag


# --- the migration that added the bounds --------------------------------------------------------------------


def test_the_migration_clamps_values_stored_above_the_bounds(chat_settings):
    """A card saved before the bounds existed (constraints dropped here, inside the test's transaction) is
    brought within them before the constraints are added."""
    migration = importlib.import_module("chat.migrations.0008_card_upper_bounds")
    with connection.cursor() as cursor:
        for name in ("stop_auto_assign_after_hours", "file_download_hours", "max_concurrent_chats"):
            cursor.execute(f"ALTER TABLE chat_chatsettings DROP CONSTRAINT chat_settings_{name}_max")
        cursor.execute("ALTER TABLE chat_chatsettings DROP CONSTRAINT chat_settings_download_hours_gte_1")
        cursor.execute(
            "UPDATE chat_chatsettings SET stop_auto_assign_after_hours = 20000000, file_download_hours = 0,"
            " max_concurrent_chats = 1000, inactivity_timeout_website = 7200"
        )
    with connection.schema_editor(atomic=False) as editor:
        migration.clamp_to_bounds(apps, editor)
    card = ChatSettings.load()
    assert (card.stop_auto_assign_after_hours, card.file_download_hours, card.max_concurrent_chats) == (8760, 1, 100)
    assert card.inactivity_timeout_website == 7200  # within bounds: untouched

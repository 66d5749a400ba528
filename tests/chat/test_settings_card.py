import pytest
from django.db import IntegrityError

from chat.models import ChatSettings


@pytest.mark.django_db
def test_card_defaults_equal_the_seed():
    card = ChatSettings.load()
    assert card.inactivity_timeout_website == 3600
    assert card.inactivity_timeout_messenger == 604800
    assert card.inactivity_timeout_internal == 28800
    assert card.inactivity_counted_from == "page_closed"
    assert card.no_reply_transfer_after == 60
    assert card.no_reply_pause_type is None
    assert card.max_concurrent_chats == 3
    assert card.assign_during_phone_call is True
    assert card.auto_add_to_crm is False
    assert card.welcome_message_when == "never"
    assert card.welcome_message_text == "Witam, w czym mogę pomóc?"
    assert card.agent_strategy_order == [
        "owner", "queue_priority", "last_agent", "fewest_open_chats", "longest_unassigned",
    ]
    assert card.chat_strategy_order == ["longest_waiting", "vip", "shortest_waiting"]
    assert card.delete_chats_after_days == 0
    assert card.stop_auto_assign_after_hours == 24
    assert card.file_upload_enabled is True
    assert card.file_max_size_mb == 8
    assert card.file_download_hours == 24


@pytest.mark.django_db
def test_card_is_a_singleton():
    first = ChatSettings.load()
    second = ChatSettings.load()
    assert first.pk == second.pk == 1
    # Saving a "new" card overwrites the one row instead of adding another.
    ChatSettings(max_concurrent_chats=5).save()
    assert ChatSettings.objects.count() == 1
    assert ChatSettings.load().max_concurrent_chats == 5


@pytest.mark.django_db
def test_database_refuses_a_second_card_row():
    ChatSettings.load()
    with pytest.raises(IntegrityError):
        ChatSettings.objects.bulk_create([ChatSettings(id=2)])

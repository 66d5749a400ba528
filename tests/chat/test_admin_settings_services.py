"""chat_settings_update and strategy_order_set: the only ways the card changes."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from agents.models import PauseType
from chat.models import DEFAULT_AGENT_STRATEGY_ORDER, DEFAULT_CHAT_STRATEGY_ORDER, ChatSettings
from chat.services.errors import ChatError
from chat.services.settings import chat_settings_update, strategy_order_set

pytestmark = pytest.mark.django_db


def orders():
    card = ChatSettings.load()
    return card.agent_strategy_order, card.chat_strategy_order


def test_strategy_order_set_stores_the_new_agent_order():
    new = ["fewest_open_chats", "owner", "queue_priority", "last_agent", "longest_unassigned"]
    assert strategy_order_set(kind="agent", codes=new) == new
    assert ChatSettings.load().agent_strategy_order == new


def test_strategy_order_set_stores_the_new_chat_order():
    strategy_order_set(kind="chat", codes=["vip", "longest_waiting", "shortest_waiting"])
    assert ChatSettings.load().chat_strategy_order == ["vip", "longest_waiting", "shortest_waiting"]


@pytest.mark.parametrize(
    ("kind", "codes", "field", "code"),
    [
        pytest.param("chat", ["vip", "longest_waiting", "fastest"], "chat_strategy_order", "unknown", id="unknown"),
        pytest.param("chat", ["vip", "vip", "longest_waiting", "shortest_waiting"], "chat_strategy_order",
                     "repeated", id="repeated"),
        pytest.param("chat", ["vip", "longest_waiting"], "chat_strategy_order", "missing", id="missing"),
        pytest.param("agent", [], "agent_strategy_order", "missing", id="empty"),
        pytest.param("agent", ["vip", *DEFAULT_AGENT_STRATEGY_ORDER], "agent_strategy_order", "unknown",
                     id="code-of-the-other-list"),
        pytest.param("agent", "owner,queue_priority", "agent_strategy_order", "invalid", id="not-a-list"),
        pytest.param("agent", [1, 2, 3, 4, 5], "agent_strategy_order", "invalid", id="not-codes"),
        pytest.param("customer", DEFAULT_CHAT_STRATEGY_ORDER, "kind", "invalid_kind", id="unknown-kind"),
    ],
)
def test_strategy_order_set_refuses_a_bad_order_and_changes_nothing(kind, codes, field, code):
    ChatSettings.load()
    before = orders()
    with pytest.raises(ChatError) as refused:
        strategy_order_set(kind=kind, codes=codes)
    assert (refused.value.field, refused.value.code) == (field, code)
    assert orders() == before


def test_strategy_order_set_names_the_unknown_code_in_its_message():
    with pytest.raises(ChatError) as refused:
        strategy_order_set(kind="chat", codes=["vip", "longest_waiting", "fastest"])
    assert "fastest" in str(refused.value)


def test_chat_settings_update_changes_the_given_parameters():
    card = chat_settings_update(max_concurrent_chats=5, auto_add_to_crm=True)
    assert (card.max_concurrent_chats, card.auto_add_to_crm) == (5, True)
    assert ChatSettings.load().max_concurrent_chats == 5


def test_chat_settings_update_takes_a_pause_type_id():
    pause = PauseType.objects.get(code="break")
    assert chat_settings_update(no_reply_pause_type=pause.pk).no_reply_pause_type == pause
    assert chat_settings_update(no_reply_pause_type=None).no_reply_pause_type is None


def test_chat_settings_update_stores_both_orders_with_the_parameters():
    chat_settings_update(
        max_concurrent_chats=4,
        agent_strategy_order=list(reversed(DEFAULT_AGENT_STRATEGY_ORDER)),
        chat_strategy_order=["shortest_waiting", "vip", "longest_waiting"],
    )
    assert orders() == (list(reversed(DEFAULT_AGENT_STRATEGY_ORDER)), ["shortest_waiting", "vip", "longest_waiting"])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"max_concurrent_chats": 0}, "max_concurrent_chats", id="max-chats"),
        pytest.param({"inactivity_timeout_website": -1}, "inactivity_timeout_website", id="negative-seconds"),
        pytest.param({"welcome_message_when": "chat_started", "welcome_message_text": ""}, "welcome_message_text",
                     id="welcome-without-text"),
        pytest.param({"file_max_size_mb": 0}, "file_max_size_mb", id="file-size"),
        pytest.param({"file_download_hours": 0}, "file_download_hours", id="download-hours"),
        pytest.param({"no_reply_pause_type": 999999}, "no_reply_pause_type", id="unknown-pause-type"),
        pytest.param({"max_concurrent_chats": 2, "colour": "red"}, "colour", id="unknown-parameter"),
        pytest.param({"max_concurrent_chats": 2, "chat_strategy_order": ["vip"]}, "chat_strategy_order",
                     id="bad-order-with-good-value"),
    ],
)
def test_chat_settings_update_refuses_bad_input_and_changes_nothing(fields, field):
    before = (model_to_dict(ChatSettings.load()), orders())
    with pytest.raises(ChatError) as refused:
        chat_settings_update(**fields)
    assert refused.value.field == field
    assert (model_to_dict(ChatSettings.load()), orders()) == before


def test_chat_settings_update_asks_for_a_dispatch_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        chat_settings_update(assign_during_phone_call=False)
    # One dispatch; the other callback is the live event that tells the open pages.
    assert [callback.__name__ for callback in callbacks] == ["live_publish", "_run_dispatch"]

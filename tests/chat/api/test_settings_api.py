import pytest
from django.forms.models import model_to_dict

from chat.models import DEFAULT_AGENT_STRATEGY_ORDER, DEFAULT_CHAT_STRATEGY_ORDER, ChatSettings
from tests.chat.card_bounds import MAXIMUM, TOO_LARGE

CONTRACT_KEYS = {
    "inactivity_timeout_website", "inactivity_timeout_messenger", "inactivity_timeout_internal",
    "inactivity_counted_from", "no_reply_transfer_after", "no_reply_pause_type", "max_concurrent_chats",
    "assign_during_phone_call", "auto_add_to_crm", "welcome_message_when", "welcome_message_text",
    "agent_strategy_order", "chat_strategy_order", "delete_chats_after_days", "stop_auto_assign_after_hours",
    "file_upload_enabled", "file_max_size_mb", "file_download_hours", "no_inbox_after", "no_inbox_pause_type",
}
URL = "/api/v1/settings/"


def test_settings_speak_the_contract_keys_with_the_seed_defaults(agent_api):
    data = agent_api.get(URL).json()
    assert set(data) >= CONTRACT_KEYS
    assert data["max_concurrent_chats"] == 3
    assert data["agent_strategy_order"] == DEFAULT_AGENT_STRATEGY_ORDER
    assert data["chat_strategy_order"] == DEFAULT_CHAT_STRATEGY_ORDER


def test_staff_change_a_parameter(staff_api):
    response = staff_api.patch(URL, {"max_concurrent_chats": 5}, format="json")
    assert response.status_code == 200
    assert response.json()["max_concurrent_chats"] == 5
    assert ChatSettings.load().max_concurrent_chats == 5


def test_an_agent_cannot_change_settings(agent_api):
    response = agent_api.patch(URL, {"max_concurrent_chats": 5}, format="json")
    assert response.status_code == 403
    assert ChatSettings.load().max_concurrent_chats == 3


def test_reorder_the_chat_strategies_by_sending_the_codes(staff_api):
    order = ["vip", "longest_waiting", "shortest_waiting"]
    response = staff_api.patch(URL, {"chat_strategy_order": order}, format="json")
    assert response.status_code == 200
    assert response.json()["chat_strategy_order"] == order
    assert ChatSettings.load().chat_strategy_order == order


def test_unknown_strategy_code_is_refused_naming_the_field(staff_api):
    response = staff_api.patch(
        URL, {"agent_strategy_order": [*DEFAULT_AGENT_STRATEGY_ORDER[:-1], "fastest"]}, format="json"
    )
    assert response.status_code == 400
    assert "agent_strategy_order" in response.json()
    assert ChatSettings.load().agent_strategy_order == DEFAULT_AGENT_STRATEGY_ORDER


def test_repeated_strategy_code_is_refused(staff_api):
    response = staff_api.patch(
        URL, {"chat_strategy_order": ["vip", "vip", "longest_waiting"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "repeated"


def test_missing_strategy_code_is_refused(staff_api):
    response = staff_api.patch(URL, {"chat_strategy_order": ["vip", "longest_waiting"]}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "missing"


def test_a_bad_value_changes_nothing_even_with_good_ones_beside_it(staff_api):
    response = staff_api.patch(
        URL,
        {"max_concurrent_chats": 7, "chat_strategy_order": ["vip"], "welcome_message_when": "chat_started"},
        format="json",
    )
    assert response.status_code == 400
    card = ChatSettings.load()
    assert card.max_concurrent_chats == 3
    assert card.welcome_message_when == "never"


def test_wrong_type_is_refused_naming_the_field(staff_api):
    response = staff_api.patch(URL, {"max_concurrent_chats": "many"}, format="json")
    assert response.status_code == 400
    assert "max_concurrent_chats" in response.json()


def test_max_concurrent_chats_below_one_is_refused(staff_api):
    response = staff_api.patch(URL, {"max_concurrent_chats": 0}, format="json")
    assert response.status_code == 400
    assert "max_concurrent_chats" in response.json()


def test_welcome_message_on_with_an_empty_text_is_refused(staff_api):
    response = staff_api.patch(
        URL, {"welcome_message_when": "chat_started", "welcome_message_text": ""}, format="json"
    )
    assert response.status_code == 400
    assert "welcome_message_text" in response.json()


def test_no_reply_pause_type_takes_a_pause_type_id(staff_api):
    from agents.models import PauseType

    pause = PauseType.objects.get(code="break")
    response = staff_api.patch(URL, {"no_reply_pause_type": pause.pk}, format="json")
    assert response.status_code == 200
    assert ChatSettings.load().no_reply_pause_type_id == pause.pk


def test_unknown_pause_type_id_is_refused(staff_api):
    response = staff_api.patch(URL, {"no_reply_pause_type": 999999}, format="json")
    assert response.status_code == 400
    assert "no_reply_pause_type" in response.json()


def test_the_card_says_what_an_agent_without_an_open_inbox_gets_by_default(agent_api):
    data = agent_api.get(URL).json()
    assert (data["no_inbox_after"], data["no_inbox_pause_type"]) == (60, None)  # logged out after a minute


def test_staff_choose_a_pause_for_agents_without_an_open_inbox(staff_api):
    from agents.models import PauseType

    pause = PauseType.objects.get(code="break")
    response = staff_api.patch(URL, {"no_inbox_after": 90, "no_inbox_pause_type": pause.pk}, format="json")
    assert response.status_code == 200
    assert (response.json()["no_inbox_after"], response.json()["no_inbox_pause_type"]) == (90, pause.pk)
    response = staff_api.patch(URL, {"no_inbox_pause_type": None}, format="json")
    assert ChatSettings.load().no_inbox_pause_type_id is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10, "Set 0 (never) or at least 30 seconds: an open inbox gives a sign every 20 seconds."),
        (-1, "Ensure this value is greater than or equal to 0."),
        (86_401, "Ensure this value is less than or equal to 86400."),
    ],
)
def test_a_no_inbox_time_out_of_bounds_is_refused_naming_the_field(staff_api, value, message):
    response = staff_api.patch(URL, {"no_inbox_after": value, "max_concurrent_chats": 7}, format="json",
                               HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["no_inbox_after"] == [message]
    if value == 10:
        assert response.json()["code"] == "too_short"
    card = ChatSettings.load()
    assert (card.no_inbox_after, card.max_concurrent_chats) == (60, 3)


def test_an_unknown_pause_for_agents_without_an_inbox_is_refused(staff_api):
    response = staff_api.patch(URL, {"no_inbox_pause_type": 999999}, format="json")
    assert response.status_code == 400
    assert "no_inbox_pause_type" in response.json()


def test_malformed_json_is_a_400_with_a_message(staff_api):
    response = staff_api.generic("PATCH", URL, '{"max_concurrent_chats": ', content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "parse_error"
    assert "JSON" in body["detail"]


def test_anonymous_request_is_refused(client, db):
    response = client.get(URL)
    assert response.status_code == 401


# --- bounds of the numbers (issue 11, point 10): the serializer's are the model's --------------------------------



def test_every_number_at_its_maximum_is_saved(staff_api):
    response = staff_api.patch(URL, MAXIMUM, format="json")
    assert response.status_code == 200
    assert {name: response.json()[name] for name in MAXIMUM} == MAXIMUM
    card = ChatSettings.load()
    assert {name: getattr(card, name) for name in MAXIMUM} == MAXIMUM


@pytest.mark.parametrize(("name", "value", "high"), TOO_LARGE)
def test_a_number_over_its_maximum_is_refused_naming_the_field_and_nothing_is_saved(staff_api, name, value, high):
    before = model_to_dict(ChatSettings.load())
    response = staff_api.patch(
        URL, {"auto_add_to_crm": True, "chat_strategy_order": ["vip", "longest_waiting", "shortest_waiting"],
              name: value},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json()[name] == [f"Ensure this value is less than or equal to {high}."]
    assert model_to_dict(ChatSettings.load()) == before
    assert ChatSettings.load().chat_strategy_order == DEFAULT_CHAT_STRATEGY_ORDER


def test_the_schema_states_the_models_bounds(staff_api):
    schema = staff_api.get("/api/schema/?format=json").json()
    properties = schema["components"]["schemas"]["PatchedSettingsInputRequest"]["properties"]
    assert {name: properties[name]["maximum"] for name in MAXIMUM} == MAXIMUM

"""The parameter card in the admin: one page, validation with clear errors, saving through the services."""

from __future__ import annotations

import pytest
from django.forms.models import model_to_dict

from agents.models import PauseType
from chat.models import AgentStrategyStep, ChatSettings, ChatStrategyStep
from chat.services.settings import strategy_order_set

CARD_URL = "/admin/chat/chatsettings/1/change/"
PREFIXES = {"agent": ("agentstrategystep_set", AgentStrategyStep), "chat": ("chatstrategystep_set", ChatStrategyStep)}


def card_post_data(card: ChatSettings, *, agent_order=None, chat_order=None, **overrides) -> dict:
    """What the browser posts for the card: its fields, both strategy inlines with positions, then overrides."""
    data = {
        "inactivity_timeout_website": card.inactivity_timeout_website,
        "inactivity_timeout_messenger": card.inactivity_timeout_messenger,
        "inactivity_timeout_internal": card.inactivity_timeout_internal,
        "inactivity_counted_from": card.inactivity_counted_from,
        "no_reply_transfer_after": card.no_reply_transfer_after,
        "no_reply_pause_type": card.no_reply_pause_type_id or "",
        "max_concurrent_chats": card.max_concurrent_chats,
        "welcome_message_when": card.welcome_message_when,
        "welcome_message_text": card.welcome_message_text,
        "delete_chats_after_days": card.delete_chats_after_days,
        "stop_auto_assign_after_hours": card.stop_auto_assign_after_hours,
        "file_max_size_mb": card.file_max_size_mb,
        "file_download_hours": card.file_download_hours,
        "no_inbox_after": card.no_inbox_after,
        "no_inbox_pause_type": card.no_inbox_pause_type_id or "",
        "_save": "Save",
    }
    for name in ("assign_during_phone_call", "auto_add_to_crm", "file_upload_enabled"):
        if getattr(card, name):
            data[name] = "on"
    for kind, wanted in (("agent", agent_order), ("chat", chat_order)):
        prefix, model = PREFIXES[kind]
        steps = list(model.objects.order_by("order"))
        positions = {code: index for index, code in enumerate(wanted or [step.code for step in steps])}
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": len(steps),
                f"{prefix}-INITIAL_FORMS": len(steps),
                f"{prefix}-MIN_NUM_FORMS": 0,
                f"{prefix}-MAX_NUM_FORMS": 1000,
            }
        )
        for index, step in enumerate(steps):
            data[f"{prefix}-{index}-id"] = step.pk
            data[f"{prefix}-{index}-settings"] = card.pk
            data[f"{prefix}-{index}-position"] = positions.get(step.code, index)
    for name, value in overrides.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = value
    return data


def card_state() -> dict:
    card = ChatSettings.load()
    state = model_to_dict(card)
    state["agent_order"] = card.agent_strategy_order
    state["chat_order"] = card.chat_strategy_order
    return state


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def admin(client, admin_user, chat_settings):
    client.force_login(admin_user)
    return client


def test_card_list_goes_straight_to_the_one_card(admin):
    response = admin.get("/admin/chat/chatsettings/")
    assert response.status_code == 302
    assert response["Location"] == CARD_URL


def test_card_cannot_be_added(admin):
    assert admin.get("/admin/chat/chatsettings/add/").status_code == 403


def test_card_cannot_be_deleted(admin):
    assert admin.get("/admin/chat/chatsettings/1/delete/").status_code == 403
    assert ChatSettings.objects.count() == 1


def test_card_page_offers_neither_add_nor_delete(admin):
    response = admin.get(CARD_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "/admin/chat/chatsettings/add/" not in html
    assert "/admin/chat/chatsettings/1/delete/" not in html
    assert 'name="_addanother"' not in html


def test_card_page_shows_both_strategy_lists_in_their_stored_order(admin):
    stored = ["longest_unassigned", "last_agent", "owner", "fewest_open_chats", "queue_priority", "vip",
              "shortest_waiting", "longest_waiting"]
    strategy_order_set(kind="agent", codes=stored[:5])
    strategy_order_set(kind="chat", codes=stored[5:])
    html = admin.get(CARD_URL).content.decode()
    positions = [html.index(f'data-code="{code}"') for code in stored]
    assert positions == sorted(positions)
    assert "parley/admin/strategy-order.js" in html


def test_card_save_changes_the_values_and_both_orders(admin, english):
    card = ChatSettings.load()
    pause = PauseType.objects.get(code="wrap_up")
    new_agent = ["fewest_open_chats", "owner", "queue_priority", "last_agent", "longest_unassigned"]
    new_chat = ["vip", "longest_waiting", "shortest_waiting"]
    data = card_post_data(
        card,
        agent_order=new_agent,
        chat_order=new_chat,
        max_concurrent_chats=5,
        no_reply_pause_type=pause.pk,
        welcome_message_when="agent_assigned",
        welcome_message_text="Dzień dobry!",
        file_upload_enabled=None,
    )
    response = admin.post(CARD_URL, data, follow=True)
    assert response.redirect_chain == [(CARD_URL, 302)]
    assert "The chat parameters were saved." in response.content.decode()
    card = ChatSettings.load()
    assert card.max_concurrent_chats == 5
    assert card.no_reply_pause_type == pause
    assert card.welcome_message_when == "agent_assigned"
    assert card.welcome_message_text == "Dzień dobry!"
    assert card.file_upload_enabled is False
    assert card.agent_strategy_order == new_agent
    assert card.chat_strategy_order == new_chat


def test_card_saves_what_an_agent_without_an_open_inbox_gets(admin):
    html = admin.get(CARD_URL).content.decode()
    assert "Agent bez otwartej skrzynki" in html  # the group, in Polish by default
    pause = PauseType.objects.get(code="administrative")

    response = admin.post(CARD_URL, card_post_data(ChatSettings.load(), no_inbox_after=120,
                                                   no_inbox_pause_type=pause.pk))

    assert response.status_code == 302
    card = ChatSettings.load()
    assert (card.no_inbox_after, card.no_inbox_pause_type) == (120, pause)
    admin.post(CARD_URL, card_post_data(card, no_inbox_after=0, no_inbox_pause_type=""))
    card = ChatSettings.load()
    assert (card.no_inbox_after, card.no_inbox_pause_type) == (0, None)


def test_card_save_asks_for_a_dispatch_after_commit(admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        admin.post(CARD_URL, card_post_data(ChatSettings.load(), max_concurrent_chats=4))
    assert any(getattr(callback, "__name__", "") == "_run_dispatch" for callback in callbacks)


BAD_VALUES = [
    pytest.param({"max_concurrent_chats": 0}, "max_concurrent_chats",
                 "Ensure this value is greater than or equal to 1.", id="max-chats-zero"),
    pytest.param({"max_concurrent_chats": -2}, "max_concurrent_chats",
                 "Ensure this value is greater than or equal to 1.", id="max-chats-negative"),
    pytest.param({"max_concurrent_chats": "three"}, "max_concurrent_chats", "Enter a whole number.",
                 id="max-chats-not-a-number"),
    pytest.param({"inactivity_timeout_website": -1}, "inactivity_timeout_website",
                 "Ensure this value is greater than or equal to 0.", id="website-timeout-negative"),
    pytest.param({"inactivity_timeout_messenger": -60}, "inactivity_timeout_messenger",
                 "Ensure this value is greater than or equal to 0.", id="messenger-timeout-negative"),
    pytest.param({"inactivity_timeout_internal": -1}, "inactivity_timeout_internal",
                 "Ensure this value is greater than or equal to 0.", id="internal-timeout-negative"),
    pytest.param({"no_reply_transfer_after": -5}, "no_reply_transfer_after",
                 "Ensure this value is greater than or equal to 0.", id="no-reply-seconds-negative"),
    pytest.param({"delete_chats_after_days": -1}, "delete_chats_after_days",
                 "Ensure this value is greater than or equal to 0.", id="delete-days-negative"),
    pytest.param({"stop_auto_assign_after_hours": -1}, "stop_auto_assign_after_hours",
                 "Ensure this value is greater than or equal to 0.", id="stop-hours-negative"),
    pytest.param({"welcome_message_when": "chat_started", "welcome_message_text": ""}, "welcome_message_text",
                 "Write the welcome message, or choose never to send it.", id="welcome-on-text-empty"),
    pytest.param({"welcome_message_when": "agent_assigned", "welcome_message_text": "   "}, "welcome_message_text",
                 "Write the welcome message, or choose never to send it.", id="welcome-on-text-blank"),
    pytest.param({"file_max_size_mb": 0}, "file_max_size_mb",
                 "Ensure this value is greater than or equal to 1.", id="file-size-zero"),
    pytest.param({"file_max_size_mb": -8}, "file_max_size_mb",
                 "Ensure this value is greater than or equal to 1.", id="file-size-negative"),
    pytest.param({"file_download_hours": 0}, "file_download_hours",
                 "Ensure this value is greater than or equal to 1.", id="download-hours-zero"),
    pytest.param({"file_download_hours": -1}, "file_download_hours",
                 "Ensure this value is greater than or equal to 1.", id="download-hours-negative"),
    pytest.param({"inactivity_counted_from": "sometimes"}, "inactivity_counted_from",
                 "Select a valid choice. sometimes is not one of the available choices.", id="unknown-count-from"),
    pytest.param({"welcome_message_when": "always"}, "welcome_message_when",
                 "Select a valid choice. always is not one of the available choices.", id="unknown-welcome-when"),
    pytest.param({"no_reply_pause_type": 999999}, "no_reply_pause_type",
                 "Select a valid choice. That choice is not one of the available choices.", id="unknown-pause-type"),
    pytest.param({"max_concurrent_chats": ""}, "max_concurrent_chats", "This field is required.",
                 id="max-chats-missing"),
    pytest.param({"no_inbox_after": -1}, "no_inbox_after",
                 "Ensure this value is greater than or equal to 0.", id="no-inbox-negative"),
    pytest.param({"no_inbox_after": 10}, "no_inbox_after",
                 "Set 0 (never) or at least 30 seconds: an open inbox gives a sign every 20 seconds.",
                 id="no-inbox-shorter-than-heartbeats"),
    pytest.param({"no_inbox_after": 86_401}, "no_inbox_after",
                 "Ensure this value is less than or equal to 86400.", id="no-inbox-over-a-day"),
    pytest.param({"no_inbox_pause_type": 999999}, "no_inbox_pause_type",
                 "Select a valid choice. That choice is not one of the available choices.",
                 id="no-inbox-unknown-pause-type"),
]


@pytest.mark.parametrize(("bad", "field", "message"), BAD_VALUES)
def test_card_refuses_a_bad_value_with_its_message_and_changes_nothing(admin, english, bad, field, message):
    before = card_state()
    # A valid change and a reorder ride along: they must not be saved either.
    data = card_post_data(
        ChatSettings.load(),
        chat_order=["vip", "longest_waiting", "shortest_waiting"],
        **{"delete_chats_after_days": 30, **bad},
    )
    response = admin.post(CARD_URL, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors[field] == [message]
    assert "Please correct the error below." in response.content.decode()
    assert card_state() == before


def test_card_shows_the_error_in_polish_by_default(admin):
    response = admin.post(CARD_URL, card_post_data(ChatSettings.load(), max_concurrent_chats=0))
    assert response.context["adminform"].form.errors["max_concurrent_chats"] == [
        "Upewnij się, że ta wartość jest większa lub równa 1."
    ]


def test_card_accepts_an_empty_welcome_text_when_the_message_is_never_sent(admin):
    data = card_post_data(ChatSettings.load(), welcome_message_when="never", welcome_message_text="")
    assert admin.post(CARD_URL, data).status_code == 302
    assert ChatSettings.load().welcome_message_text == ""


def test_card_refuses_an_order_with_a_strategy_missing_and_changes_nothing(admin, english):
    before = card_state()
    data = card_post_data(ChatSettings.load(), max_concurrent_chats=7)
    data["chatstrategystep_set-TOTAL_FORMS"] = 2  # the third row left out of the post
    response = admin.post(CARD_URL, data)
    assert response.status_code == 200
    formset = next(f for f in response.context["inline_admin_formsets"] if f.formset.prefix.startswith("chat"))
    assert formset.formset.non_form_errors() == ["Every strategy must be in the order; missing: shortest_waiting."]
    assert card_state() == before


def test_card_refuses_a_tampered_strategy_row_and_changes_nothing(admin):
    before = card_state()
    data = card_post_data(ChatSettings.load(), agent_order=["longest_unassigned"])
    data["agentstrategystep_set-0-id"] = 999999
    response = admin.post(CARD_URL, data)
    assert response.status_code == 200
    assert card_state() == before


def test_card_is_read_only_for_staff_without_the_change_permission(client, django_user_model, chat_settings):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_chatsettings"))
    client.force_login(viewer)
    html = client.get(CARD_URL).content.decode()
    assert 'name="max_concurrent_chats"' not in html
    assert "is-sortable" not in html
    assert client.post(CARD_URL, card_post_data(ChatSettings.load(), max_concurrent_chats=9)).status_code == 403
    assert ChatSettings.load().max_concurrent_chats == 3

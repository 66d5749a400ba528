"""The administrator reorders both strategy lists of the card by dragging rows in real Chromium."""

from __future__ import annotations

import pytest

from chat.models import ChatSettings

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CARD = "/admin/chat/chatsettings/1/change/"
AGENTS = "agentstrategystep_set"
CHATS = "chatstrategystep_set"


def shown_order(page, prefix: str) -> list[str]:
    return page.locator(f'[data-strategy-list="{prefix}"] [data-strategy-row]').evaluate_all(
        "rows => rows.map(row => row.dataset.code)"
    )


def drag_to_top(page, prefix: str, code: str) -> None:
    """Press the mouse on the row's handle, move it above the first row in small steps, release."""
    handle = page.locator(f'[data-strategy-list="{prefix}"] [data-code="{code}"] .strategy-handle')
    first_row = page.locator(f'[data-strategy-list="{prefix}"] [data-strategy-row]').first
    page.locator(f'[data-strategy-list="{prefix}"]').scroll_into_view_if_needed()
    start, target = handle.bounding_box(), first_row.bounding_box()
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(target["x"] + 30, target["y"] + 3, steps=15)
    page.mouse.up()


def test_admin_drags_vip_client_and_fewest_open_chats_to_the_top_and_saves(live_server, page, admin_user):
    ChatSettings.load()
    page.goto(f"{live_server.url}/admin/login/?next={CARD}")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "parley-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{CARD}")

    drag_to_top(page, CHATS, "vip")
    drag_to_top(page, AGENTS, "fewest_open_chats")
    new_chat_order = ["vip", "longest_waiting", "shortest_waiting"]
    new_agent_order = ["fewest_open_chats", "owner", "queue_priority", "last_agent", "longest_unassigned"]
    assert shown_order(page, CHATS) == new_chat_order
    assert shown_order(page, AGENTS) == new_agent_order
    # Nothing is stored before the card is saved.
    assert ChatSettings.load().chat_strategy_order == ["longest_waiting", "vip", "shortest_waiting"]

    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .success")

    card = ChatSettings.load()
    assert card.chat_strategy_order == new_chat_order
    assert card.agent_strategy_order == new_agent_order
    # The page shows what was stored.
    assert shown_order(page, CHATS) == new_chat_order
    assert shown_order(page, AGENTS) == new_agent_order


def test_a_card_refused_for_another_field_keeps_the_dragged_order(live_server, page, admin_user):
    """Issue 14, point 8: a failed save used to throw the dragged order away (the rows came back in the stored order
    and the next save stored that)."""
    ChatSettings.load()
    page.goto(f"{live_server.url}/admin/login/?next={CARD}")
    page.fill("#id_username", admin_user.username)
    page.fill("#id_password", "parley-test")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{CARD}")

    drag_to_top(page, CHATS, "vip")
    page.fill("#id_max_concurrent_chats", "0")  # refused: at least 1
    page.click('input[name="_save"]')
    page.wait_for_selector(".errornote")

    assert shown_order(page, CHATS) == ["vip", "longest_waiting", "shortest_waiting"]  # still as dragged
    assert ChatSettings.load().chat_strategy_order == ["longest_waiting", "vip", "shortest_waiting"]  # not stored
    page.fill("#id_max_concurrent_chats", "4")
    page.click('input[name="_save"]')
    page.wait_for_selector(".messagelist .success")
    card = ChatSettings.load()
    assert (card.chat_strategy_order, card.max_concurrent_chats) == (["vip", "longest_waiting", "shortest_waiting"], 4)

"""Issue 14, point 2 (server side): the sound switch is the agent's and remembered, and an assigned chat that waits
for its agent's answer shows the countdown to the no-reply transfer, which acts at the moment it shows. The ringing,
the desktop notification and the title are the page's: tests/e2e/test_inbox_notify.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from chat.models import ChatSettings, Message
from chat.services.messages import message_post
from chat.services.rules import chats_transfer_unanswered, unanswered_transfer_at

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)

    def move(**delta):
        time_machine.move_to(T0 + timedelta(**delta), tick=False)

    return move


@pytest.fixture
def no_reply_after():
    def set_seconds(seconds: int) -> ChatSettings:
        card = ChatSettings.load()
        card.no_reply_transfer_after = seconds
        card.save()
        return ChatSettings.load()

    return set_seconds


def sidebar(client) -> str:
    return client.get(reverse("inbox:index")).content.decode()


def countdown(html: str) -> str | None:
    found = re.search(r'data-testid="countdown"[^>]*>([^<]*)<', html)
    return found.group(1).strip() if found else None


def test_the_sound_switch_is_kept_on_the_agent(agent_client, agent):
    assert agent.notify_sound is True  # on by default
    page = sidebar(agent_client)
    assert 'data-sound="1"' in page and 'aria-pressed="true"' in page

    answer = agent_client.post(reverse("inbox:notify_sound"), {"on": "0"}, HTTP_HX_REQUEST="true")

    assert answer.status_code == 200
    assert 'data-sound="0"' in answer.content.decode() and 'aria-pressed="false"' in answer.content.decode()
    agent.refresh_from_db()
    assert agent.notify_sound is False
    assert 'data-sound="0"' in sidebar(agent_client)  # remembered: the next page (any browser) starts silent

    agent_client.post(reverse("inbox:notify_sound"), {"on": "1"})
    agent.refresh_from_db()
    assert agent.notify_sound is True


def test_the_sound_switch_needs_a_login(client):
    answer = client.post(reverse("inbox:notify_sound"), {"on": "0"})

    assert answer.status_code == 302 and reverse("inbox:login") in answer["Location"]


def test_an_unanswered_chat_counts_down_to_its_transfer(clock, no_reply_after, agent_client, agent, my_chat):
    no_reply_after(60)
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="Hello?")
    clock(seconds=18)

    assert countdown(sidebar(agent_client)).endswith(" 0:42")  # "transfers in 0:42", "przekazanie za 0:42"

    message_post(chat_id=my_chat.pk, sender=Message.Sender.AGENT, body="Hello, how can I help?", author=agent)
    assert countdown(sidebar(agent_client)) is None  # answered: nothing to count


def test_no_countdown_when_the_rule_is_off_or_nobody_waits(clock, no_reply_after, agent_client, my_chat):
    no_reply_after(60)
    assert countdown(sidebar(agent_client)) is None  # assigned, but the client has not written

    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="Hello?")
    no_reply_after(0)
    assert countdown(sidebar(agent_client)) is None  # the rule is off


def test_the_rule_transfers_at_the_moment_the_countdown_shows(clock, no_reply_after, agent, colleague, my_chat):
    card = no_reply_after(60)
    clock(seconds=5)
    message_post(chat_id=my_chat.pk, sender=Message.Sender.CLIENT, body="Hello?")
    my_chat.refresh_from_db()
    transfer_at = unanswered_transfer_at(chat=my_chat, card=card)
    assert transfer_at == T0 + timedelta(seconds=65)

    clock(seconds=64)
    assert chats_transfer_unanswered() == 0
    clock(seconds=65)
    assert chats_transfer_unanswered() == 1
    my_chat.refresh_from_db()
    assert my_chat.agent_id != agent.pk

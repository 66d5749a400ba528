"""The inbox shows where a Messenger reply is (sending, sent, not confirmed, not delivered) and lets
the agent send again a reply that is not confirmed or not delivered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from chat.messenger.outbox import claim_timeout, messenger_outbox_sweep
from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_close, chat_start

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def messenger_chat(agent, queue):
    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue.pk, visitor_messenger_id="psid-77")
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


def agent_reply(chat, agent, status, **fields):
    return Message.objects.create(chat=chat, sender=Message.Sender.AGENT, author=agent, body="Hello",
                                  delivery_status=status, **fields)


def page(agent_client, chat) -> str:
    return agent_client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_a_reply_that_may_not_have_arrived_says_so_and_offers_send_again_with_a_warning(
    agent_client, agent, messenger_chat
):
    message = agent_reply(messenger_chat, agent, "unknown", delivery_error="No answer from the Send API within 10 s")
    html = page(agent_client, messenger_chat)
    assert "Not confirmed — may not have arrived" in html
    assert 'data-testid="unconfirmed"' in html and "1 message not confirmed" in html
    button = re.search(r'<button[^>]*data-testid="resend"[^>]*>', html).group(0)
    assert f'hx-post="{reverse("inbox:message_resend", args=[messenger_chat.pk, message.pk])}"' in button
    assert "hx-confirm=" in button and "twice" in button
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handler (the CSP forbids them)


def test_a_reply_that_was_not_delivered_offers_send_again(agent_client, agent, messenger_chat):
    agent_reply(messenger_chat, agent, "failed", delivery_error="HTTP 400: (#551) This person isn't available")
    html = page(agent_client, messenger_chat)
    assert "Not delivered: HTTP 400" in html
    button = re.search(r'<button[^>]*data-testid="resend"[^>]*>', html).group(0)
    assert "hx-confirm" not in button


def test_send_again_is_not_offered_on_a_closed_chat_or_for_a_reply_on_its_way(agent_client, agent, messenger_chat):
    agent_reply(messenger_chat, agent, "pending", delivery_error="Send API unreachable: refused")
    html = page(agent_client, messenger_chat)
    assert "Sending…" in html and "Messenger not reached yet, trying again" in html
    assert 'data-testid="resend"' not in html
    agent_reply(messenger_chat, agent, "unknown")
    chat_close(chat_id=messenger_chat.pk, reason="agent")
    assert 'data-testid="resend"' not in page(agent_client, messenger_chat)


def test_pressing_send_again_puts_the_reply_back_on_its_way_and_records_who_did(agent_client, agent, messenger_chat):
    message = agent_reply(messenger_chat, agent, "unknown", delivery_attempts=1)
    response = agent_client.post(reverse("inbox:message_resend", args=[messenger_chat.pk, message.pk]), **HTMX)
    assert response.status_code == 200
    assert response["HX-Trigger"] == "parley:poll"
    html = response.content.decode()
    assert f'id="m-{message.pk}"' in html and "Sending…" in html and "resend" not in html
    message.refresh_from_db()
    assert message.delivery_status == "pending"
    assert ChatEvent.objects.get(chat=messenger_chat, kind="reply_sent_again").actor == agent


def test_pressing_send_again_twice_shows_why_the_second_did_nothing(agent_client, agent, messenger_chat):
    message = agent_reply(messenger_chat, agent, "failed")
    url = reverse("inbox:message_resend", args=[messenger_chat.pk, message.pk])
    agent_client.post(url, **HTMX)
    second = agent_client.post(url, **HTMX).content.decode()
    assert "This reply is not waiting to be sent again." in second
    assert ChatEvent.objects.filter(kind="reply_sent_again").count() == 1


def test_send_again_in_a_colleagues_chat_is_404(agent_client, colleague, queue):
    chat = chat_start(channel=Chat.Channel.MESSENGER, queue_id=queue.pk, visitor_messenger_id="psid-9")
    chat_assign(chat_id=chat.pk, agent_id=colleague.pk)
    message = agent_reply(chat, colleague, "unknown")
    assert agent_client.post(reverse("inbox:message_resend", args=[chat.pk, message.pk]), **HTMX).status_code == 404
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"


def test_the_open_chat_redraws_a_reply_whose_delivery_changed(agent_client, agent, messenger_chat):
    sending = agent_reply(messenger_chat, agent, "sending", delivery_claimed_at=timezone.now(), delivery_attempts=1)
    settled = agent_reply(messenger_chat, agent, "sent")
    response = agent_client.get(reverse("inbox:chat", args=[messenger_chat.pk]))
    sentinel = response.context
    params = {"after": sentinel["last_message_id"], "s": sentinel["chat_state"], "w": sentinel["watch_from"]}
    assert params["w"] == sending.pk
    poll = reverse("inbox:chat_poll", args=[messenger_chat.pk])
    assert agent_client.get(poll, params, **HTMX).status_code == 204

    messenger_outbox_sweep(now=timezone.now() + claim_timeout() + timedelta(seconds=1))  # the worker died
    html = agent_client.get(poll, params, **HTMX).content.decode()
    redrawn = re.search(rf'<div [^>]*id="m-{sending.pk}"[^>]*>', html).group(0)
    assert 'hx-swap-oob="true"' in redrawn
    assert "Not confirmed — may not have arrived" in html
    assert f'id="m-{settled.pk}"' in html  # redrawn too (after the oldest one in flight), unchanged
    assert "1 message not confirmed" in html  # the header, out of band
    assert f"w={sending.pk}" in html  # still watched: it may be sent again

"""Issue 14, point 4 in the inbox: private notes in the chat, the transfer's note for the next agent, and the close
dialog with its disposition and confirmation."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from chat.models import Chat, ChatSettings, Disposition, Message
from chat.services.messages import message_post

pytestmark = pytest.mark.django_db


def now_talking_with(name: str) -> str:
    """The transfer's system line as stored: in the site's language (``system_text``)."""
    from chat.services.chats import system_text
    from chat.services.chats.handover import NOW_TALKING_WITH

    return system_text(NOW_TALKING_WITH) % {"name": name}

HTMX = {"HTTP_HX_REQUEST": "true"}


def site(text: str) -> str:
    """``text`` as the inbox shows it: in the site's language (the test client sends no language of its own)."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(text)


def page(client, chat) -> str:
    return client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()


def test_the_reply_box_posts_a_private_note_when_ticked(agent_client, agent, my_chat):
    response = agent_client.post(
        reverse("inbox:message_create", args=[my_chat.pk]), {"body": "Check his last invoice", "note": "on"}, **HTMX
    )

    assert response.status_code == 204
    note = Message.objects.get(chat=my_chat)
    assert (note.sender, note.body, note.author_id) == ("note", "Check his last invoice", agent.pk)


def test_a_private_note_is_shown_distinctly_with_a_translated_label(agent_client, agent, my_chat):
    message_post(chat_id=my_chat.pk, sender="note", author_id=agent.pk, body="Check his last invoice")

    html = page(agent_client, my_chat)
    assert 'class="msg msg-note' in html
    assert site("Private note — the visitor does not see it") in html


def test_a_transfer_with_a_note_shows_the_note_to_the_new_agent(agent_client, colleague, my_chat, client):
    agent_client.post(
        reverse("inbox:chat_transfer", args=[my_chat.pk]),
        {"target": f"agent:{colleague.pk}", "note": "Wants a refund for order 1234"}, **HTMX,
    )

    client.force_login(colleague)
    html = page(client, my_chat)
    assert 'data-testid="transfer-note-shown"' in html
    assert "Wants a refund for order 1234" in html
    assert now_talking_with("Bartek") in html  # the system line both sides see


def test_close_offers_the_active_dispositions_and_asks_for_a_confirmation(agent_client, my_chat):
    Disposition.objects.create(name="Order status", order=1)
    Disposition.objects.create(name="Retired", active=False)

    html = page(agent_client, my_chat)

    assert "hx-confirm=" in html
    assert "Order status" in html
    assert "Retired" not in html


def test_close_stores_the_chosen_disposition(agent_client, my_chat):
    complaint = Disposition.objects.create(name="Complaint")

    agent_client.post(reverse("inbox:chat_close", args=[my_chat.pk]), {"disposition": complaint.pk}, **HTMX)

    my_chat.refresh_from_db()
    assert (my_chat.status, my_chat.disposition) == (Chat.Status.CLOSED, complaint)


def test_close_without_a_required_disposition_keeps_the_chat_open_with_a_clear_message(agent_client, my_chat):
    Disposition.objects.create(name="Complaint")
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(disposition_required=True)
    assert " required>" in page(agent_client, my_chat).split('data-testid="close-disposition"')[1].split("\n")[0]

    response = agent_client.post(reverse("inbox:chat_close", args=[my_chat.pk]), {"disposition": ""}, **HTMX)

    my_chat.refresh_from_db()
    assert my_chat.status == Chat.Status.ASSIGNED
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        site("Choose a disposition: what was the conversation about?")
    ]

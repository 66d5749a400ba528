"""Issue 15, point 3 in the admin: the chat's change page shows the same timeline as the inbox and the API, in the
admin's language, times in the site's time zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation
from django.utils.html import escape

from chat.selectors import chat_timeline
from chat.services.dispatch import dispatch
from tests.chat.routing.helpers import waiting_chat

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatched(named_agent, queue):
    named_agent("Jan Kowalski", queue=queue, priority=1)
    named_agent("Anna Nowak", queue=queue, priority=5)
    with time_machine.travel(datetime(2026, 3, 2, 9, 15, 7, tzinfo=UTC), tick=False):
        chat = waiting_chat(queue)
        dispatch()
    return chat


def change_page(client, admin_user, chat, language: str) -> str:
    client.cookies["django_language"] = language
    client.force_login(admin_user)
    return client.get(f"/admin/chat/chat/{chat.pk}/change/").content.decode()


def test_the_chat_page_tells_why_this_agent(client, admin_user, dispatched):
    html = change_page(client, admin_user, dispatched, "en")

    timeline = re.search(r'<ol class="chat-timeline".*?</ol>', html, re.S).group(0)
    assert re.findall(r'data-kind="(\w+)"', timeline) == ["assigned"]  # a row made directly: no start events
    assert escape("Assigned to Anna Nowak: a higher priority in Sales than Jan Kowalski.") in timeline
    assert "10:15:07" in timeline  # 09:15:07 UTC in Europe/Warsaw (the site's time zone)


def test_the_chat_page_speaks_the_admins_language(client, admin_user, dispatched):
    html = change_page(client, admin_user, dispatched, "pl")

    with translation.override("pl"):
        expected = chat_timeline(chat=dispatched)[-1]
    assert escape(expected.text) in html
    assert escape(expected.kind_label) in html

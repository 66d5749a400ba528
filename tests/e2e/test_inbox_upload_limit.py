"""The inbox refuses a file over the limit it shows before sending a byte, and shows the server's
413 answer when the card changed since the page was drawn."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chat.models import Attachment, Chat, ChatSettings
from chat.services.chats import chat_assign, chat_start
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MIB = 1024 * 1024


@pytest.fixture
def agent_in_chat(new_context, inbox_login, agent_factory, live_server):
    queue = factories.QueueFactory(name="Sprzedaż")
    agent = agent_factory(queue=queue, username="anna", first_name="Anna")
    chat = chat_start(channel=Chat.Channel.WEBSITE, queue_id=queue.pk, visitor_name="Jan")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    page = inbox_login(new_context().new_page(), agent)
    page.goto(f"{live_server.url}/inbox/chats/{chat.pk}/")
    expect(page.locator("#composer form.upload")).to_be_visible()
    return page


def test_a_file_over_the_known_limit_is_refused_before_it_is_sent(agent_in_chat, tmp_path):
    page = agent_in_chat
    sent = []
    page.on("request", lambda r: sent.append(r.url) if "/files/" in r.url else None)
    big = tmp_path / "film.mp4"
    big.write_bytes(b"x" * (MIB + 1))
    page.set_input_files("#composer input[type=file]", files=[str(big)])
    expect(page.locator("[data-testid=upload-error]")).to_have_text("The file is too large: the limit is 1 MB.")
    assert sent == []
    assert not Attachment.objects.exists()


def test_a_limit_lowered_since_the_page_was_drawn_shows_the_servers_413(agent_in_chat, tmp_path):
    page = agent_in_chat
    ChatSettings.objects.filter(pk=1).update(file_max_size_mb=1)
    page.evaluate("document.querySelector('#composer form.upload').setAttribute('data-max-mb', '8')")
    answers = []
    page.on("response", lambda r: answers.append(r.status) if "/files/" in r.url else None)
    big = tmp_path / "film.mp4"
    big.write_bytes(b"x" * (2 * MIB))
    page.set_input_files("#composer input[type=file]", files=[str(big)])
    expect(page.locator("[data-testid=upload-error]")).to_have_text("The file is too large: the limit is 1 MB.")
    assert answers == [413]
    assert not Attachment.objects.exists()

"""Issue 15, point 3 in the inbox: the chat's page shows its timeline ("why this agent") to whoever may see the
chat, in the page's language, redrawn when the chat changes; another agent's chat shows nothing of it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from chat.models import Chat, QueueMembership
from chat.selectors import chat_timeline
from chat.services.chats import chat_start, chat_transfer
from chat.services.dispatch import dispatch
from tests import factories

pytestmark = pytest.mark.django_db


def page(client, chat):
    return client.get(reverse("inbox:chat", args=[chat.pk]))


def site_texts(chat) -> list[str]:
    """The timeline as the page shows it: in the site's language (the test client asks for none), escaped."""
    with translation.override(settings.LANGUAGE_CODE):
        return [escape(entry.text) for entry in chat_timeline(chat=chat)]


@pytest.fixture
def dispatched(agent, colleague, queue, start_chat):
    """Anna (priority 5) gets the chat over Bartek (priority 1)."""
    QueueMembership.objects.filter(agent=agent).update(priority=5)
    QueueMembership.objects.filter(agent=colleague).update(priority=1)
    chat = start_chat()
    dispatch()
    assert Chat.objects.get(pk=chat.pk).agent == agent
    return chat


def test_the_agent_sees_why_the_chat_is_his(agent_client, dispatched):
    html = page(agent_client, dispatched).content.decode()

    assert 'data-testid="timeline"' in html
    texts = site_texts(dispatched)
    assert "Bartek" in texts[-1]  # the runner-up is named
    for text in texts:
        assert text in html
    list_html = re.search(r'<ol class="timeline-list".*?</ol>', html, re.S).group(0)
    assert re.findall(r'data-kind="(\w+)"', list_html) == ["started", "queued", "assigned"]
    assert 'data-strategy="queue_priority"' in list_html


def test_the_timeline_speaks_english_when_the_agent_chose_it(agent_client, dispatched):
    agent_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    html = page(agent_client, dispatched).content.decode()

    assert "Timeline" in html
    assert "Assigned to Anna: a higher priority in Sales than Bartek." in html


def test_staff_see_the_timeline_of_any_chat(client, dispatched):
    client.force_login(factories.AdminFactory(username="boss"))

    html = page(client, dispatched).content.decode()

    assert site_texts(dispatched)[-1] in html


def test_another_agents_chat_shows_nothing_of_its_timeline(client, agent_factory, dispatched):
    stranger = agent_factory(username="cezary", first_name="Cezary", queues=[factories.QueueFactory(name="Other")])
    client.force_login(stranger)

    response = page(client, dispatched)

    assert response.status_code == 404
    assert site_texts(dispatched)[-1] not in response.content.decode()


def test_a_change_of_the_chat_redraws_the_timeline_in_the_poll(agent_client, agent, colleague, dispatched):
    chat_transfer(chat_id=dispatched.pk, to_agent_id=colleague.pk, actor=agent, note="Refund, order 1234")
    agent_client.force_login(colleague)

    response = agent_client.get(
        reverse("inbox:chat_poll", args=[dispatched.pk]), {"after": 0, "s": "the state before the transfer"},
        HTTP_HX_REQUEST="true",
    )

    body = response.content.decode()
    assert 'id="chat-timeline-list" data-testid="timeline-list" hx-swap-oob="true"' in body
    assert site_texts(dispatched)[-1] in body  # "Transferred from Anna to Bartek. Note: …"
    assert "Refund, order 1234" in body


def test_an_internal_chat_has_no_timeline(agent_client, agent, colleague):
    chat = chat_start(channel=Chat.Channel.INTERNAL, initiator_id=agent.pk, peer_id=colleague.pk)

    html = page(agent_client, chat).content.decode()

    assert 'data-testid="timeline"' not in html

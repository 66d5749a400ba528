"""Issue 15, point 2: the supervisor's actions from the pages (POST, staff only, back to ``next`` with a flash), the
"Supervisor" panel of the inbox's chat page, and what the visitor does not see of it (the widget API, the
transcript)."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agents.models import PauseType, Presence, PresenceEvent
from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_transcript_send
from chat.services.supervision import supervisor_join
from tests.chat.routing.helpers import set_card, waiting_chat

pytestmark = pytest.mark.django_db


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def staff_client(supervisor):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")  # the flash messages in English (the site's default is Polish)
    client.force_login(supervisor)
    return client


def test_staff_reassign_a_chat_from_its_page_and_come_back_to_it(staff_client, supervisor, assigned, agent_factory):
    chat, anna = assigned
    bartek = agent_factory(first_name="Bartek", last_name="Kowal")
    page = reverse("inbox:chat", args=[chat.pk])

    response = staff_client.post(
        reverse("supervisor:chat_assign", args=[chat.pk]), {"agent": bartek.pk, "next": page}
    )

    assert response.status_code == 302 and response["Location"] == page
    assert flashes(response) == ["The chat went to Bartek Kowal."]
    assert Chat.objects.get(pk=chat.pk).agent == bartek


def test_a_refusal_is_a_flash_and_the_override_box_passes_the_maximum(staff_client, supervisor, agent_factory, queue):
    set_card(max_concurrent_chats=1)
    bartek = agent_factory(first_name="Bartek", last_name="Kowal")
    chat_assign(chat_id=waiting_chat(queue).pk, agent_id=bartek.pk)
    chat = waiting_chat(queue)
    url = reverse("supervisor:chat_assign", args=[chat.pk])

    refused = staff_client.post(url, {"agent": bartek.pk})
    assert flashes(refused) == ["Bartek Kowal already has the maximum of 1 open chats."]
    assert Chat.objects.get(pk=chat.pk).status == Chat.Status.WAITING

    overridden = staff_client.post(url, {"agent": bartek.pk, "override": "1"})
    assert flashes(overridden)[-1] == "The chat went to Bartek Kowal, over the maximum of open chats."
    assert Presence.objects.get(agent=bartek).open_chats == 2


def test_next_must_be_a_url_of_this_site(staff_client, assigned):
    chat, _anna = assigned

    response = staff_client.post(
        reverse("supervisor:chat_join", args=[chat.pk]), {"next": "https://evil.example.com/"}
    )

    assert response["Location"] == reverse("inbox:chat", args=[chat.pk])


def test_staff_pause_and_log_out_an_agent_back_to_the_floor(staff_client, supervisor, assigned):
    _chat, anna = assigned
    pause = PauseType.objects.get(code="break")

    paused = staff_client.post(reverse("supervisor:agent_pause", args=[anna.pk]), {"pause_type": pause.pk})
    assert paused["Location"] == reverse("supervisor:floor")
    assert Presence.objects.get(agent=anna).pause_type == pause

    logged_out = staff_client.post(reverse("supervisor:agent_logout", args=[anna.pk]))
    assert not Presence.objects.get(agent=anna).logged_in
    assert flashes(logged_out)[-1] == "Anna is logged out; the open chats went back to their queues."
    assert PresenceEvent.objects.filter(agent=anna, actor=supervisor, reason="supervisor").count() == 2


def test_an_agent_who_is_not_staff_gets_403_and_a_get_is_not_allowed(client, assigned, agent_factory):
    chat, anna = assigned
    client.force_login(agent_factory())
    urls = [
        reverse("supervisor:chat_assign", args=[chat.pk]),
        reverse("supervisor:chat_join", args=[chat.pk]),
        reverse("supervisor:chat_whisper", args=[chat.pk]),
        reverse("supervisor:chat_take_over", args=[chat.pk]),
        reverse("supervisor:agent_pause", args=[anna.pk]),
        reverse("supervisor:agent_logout", args=[anna.pk]),
    ]

    assert [client.post(url, {"agent": anna.pk, "body": "x", "pause_type": 1}).status_code for url in urls] == [403] * 6
    assert client.get(urls[0]).status_code == 405
    assert Chat.objects.get(pk=chat.pk).agent == anna
    assert not ChatEvent.objects.filter(kind__in=["supervisor_joined", "whispered", "taken_over"]).exists()


def test_the_page_of_someone_elses_chat_is_read_only_for_staff_with_the_supervisor_panel(
    staff_client, supervisor, assigned
):
    chat, _anna = assigned

    page = staff_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()

    assert 'data-testid="supervisor-panel"' in page
    assert 'data-testid="watch-notice"' in page and 'class="reply' not in page
    assert 'data-testid="supervisor-whisper"' in page and 'data-testid="supervisor-take-over"' in page

    staff_client.post(reverse("supervisor:chat_join", args=[chat.pk]))
    watching = staff_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()
    assert "You are watching this chat silently." in watching and "Sylwia Nowak" in watching


def test_after_a_take_over_the_supervisor_has_the_reply_box(staff_client, assigned):
    chat, _anna = assigned

    staff_client.post(reverse("supervisor:chat_take_over", args=[chat.pk]))
    page = staff_client.get(reverse("inbox:chat", args=[chat.pk])).content.decode()

    assert 'class="reply' in page and 'data-testid="supervisor-take-over"' not in page


def test_an_agent_sees_no_supervisor_panel_and_is_not_told_he_is_watched(client, supervisor, assigned):
    chat, anna = assigned
    supervisor_join(chat_id=chat.pk, actor=supervisor)
    client.force_login(anna)

    page = client.get(reverse("inbox:chat", args=[chat.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'data-testid="supervisor-panel"' not in page
    assert "watching" not in page.lower()


def test_a_whisper_reaches_the_agents_page_and_never_the_visitor_nor_the_transcript(
    staff_client, agent_factory, queue
):
    agent = agent_factory(first_name="Anna", queue=queue)
    visitor = APIClient()
    started = visitor.post(
        "/widget/v1/chats/", {"name": "Jan", "email": "jan@example.com", "visitor_key": "k" * 32}, format="json"
    ).json()
    visitor.credentials(HTTP_X_VISITOR_TOKEN=started["token"])
    chat_id = started["chat"]["id"]
    chat_assign(chat_id=chat_id, agent_id=agent.pk)

    response = staff_client.post(
        reverse("supervisor:chat_whisper", args=[chat_id]), {"body": "Psst: offer the discount"}
    )
    assert flashes(response)[0].startswith("Whispered to ")

    assert Message.objects.get(chat_id=chat_id, sender="note").body == "Psst: offer the discount"
    agent_client = Client()
    agent_client.force_login(agent)
    assert "Psst: offer the discount" in agent_client.get(reverse("inbox:chat", args=[chat_id])).content.decode()
    widget = visitor.get(f"/widget/v1/chats/{chat_id}/messages/?since=0")
    assert widget.status_code == 200 and "Psst" not in widget.content.decode()
    chat_transcript_send(chat_id=chat_id, actor=agent)
    assert "Psst" not in mail.outbox[-1].body and "jan@example.com" in mail.outbox[-1].to

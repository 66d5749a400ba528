"""Satisfaction ratings (issue 17, point 3) in the admin and the REST API: read-only on the chat (only the visitor
rates, through the widget or Messenger), the survey switch on the card (admin and settings API)."""

from __future__ import annotations

import re

import pytest

from chat.models import Chat, ChatSettings
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.ratings import chat_rate
from tests.chat.api.fixtures import *  # noqa: F401,F403
from tests.chat.api.fixtures import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(queue, agent):
    chat = chat_start(channel="website", queue_id=queue.pk, visitor_name="Zofia")
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    chat_close(chat_id=chat.pk, reason="agent", actor=agent)
    return chat_rate(chat_id=chat.pk, score=4, comment="Szybko <i>i</i> konkretnie.", via="widget")


@pytest.fixture
def admin(client, admin_user):
    client.cookies["django_language"] = "en"
    client.force_login(admin_user)
    return client


def test_the_admin_chat_page_shows_the_rating_read_only(admin, rated):
    html = admin.get(f"/admin/chat/chat/{rated.pk}/change/").content.decode()

    assert "Satisfaction rating" in html
    assert '<div class="readonly">4</div>' in html
    assert "Szybko &lt;i&gt;i&lt;/i&gt; konkretnie." in html  # escaped, never markup
    assert 'name="rating"' not in html and 'name="rating_comment"' not in html
    assert "Rated 4 of 5 by the client" in html  # the timeline


def test_the_admin_chat_list_filters_by_rating(admin, rated, queue):
    unrated = chat_start(channel="website", queue_id=queue.pk, visitor_name="Unrated visitor")
    html = admin.get("/admin/chat/chat/", {"rating": 4}).content.decode()
    assert "Zofia" in html and "Unrated visitor" not in html
    assert admin.get("/admin/chat/chat/", {"rating__isnull": "True"}).status_code == 200
    assert unrated.rating is None


def test_the_admin_card_switches_the_survey(admin):
    html = admin.get("/admin/chat/chatsettings/1/change/").content.decode()
    assert "Satisfaction survey" in html
    assert re.search(r'<input type="checkbox" name="rating_survey_enabled"[^>]* checked', html)
    assert "Ask the client for a rating after the chat" in html


def test_the_api_gives_the_chats_rating_read_only(agent, rated):
    api = token_client(agent)

    body = api.get(f"/api/v1/chats/{rated.pk}/").json()

    assert (body["rating"], body["rating_comment"]) == (4, "Szybko <i>i</i> konkretnie.")
    assert body["rated_at"] is not None
    listed = {c["id"]: c for c in api.get("/api/v1/chats/", {"status": "closed"}).json()["results"]}
    assert listed[rated.pk]["rating"] == 4


def test_an_integration_cannot_set_a_rating_when_it_starts_a_chat(agent, queue):
    response = token_client(agent).post(
        "/api/v1/chats/", {"channel": "website", "queue": queue.pk, "visitor_name": "X", "rating": 5,
                           "rating_comment": "made up"}, format="json",
    )
    assert response.status_code in (200, 201), response.content
    chat = Chat.objects.get(pk=response.json()["id"])
    assert (chat.rating, chat.rating_comment, response.json()["rating"]) == (None, "", None)


def test_the_settings_api_reads_and_switches_the_survey(staff_api, agent_api):
    assert agent_api.get("/api/v1/settings/").json()["rating_survey_enabled"] is True

    assert agent_api.patch("/api/v1/settings/", {"rating_survey_enabled": False}, format="json").status_code == 403
    assert ChatSettings.load().rating_survey_enabled is True

    response = staff_api.patch("/api/v1/settings/", {"rating_survey_enabled": False}, format="json")
    assert response.status_code == 200
    assert response.json()["rating_survey_enabled"] is False
    assert ChatSettings.load().rating_survey_enabled is False


def test_the_settings_api_refuses_a_non_boolean(staff_api):
    response = staff_api.patch("/api/v1/settings/", {"rating_survey_enabled": "perhaps"}, format="json")
    assert response.status_code == 400
    assert "rating_survey_enabled" in response.json()
    assert ChatSettings.load().rating_survey_enabled is True

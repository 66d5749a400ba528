"""The widget's rating (issue 17, point 3): ``POST /widget/v1/chats/{id}/rating/`` with the chat's visitor token,
once per closed chat; every bad request is a clear 4xx and writes nothing (docs/ratings.md)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from agents.models import User
from chat.models import Chat, ChatEvent, ChatSettings
from chat.services.chats import chat_close, chat_start

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def start(queue, key: str) -> tuple[APIClient, dict]:
    visitor = APIClient()
    response = visitor.post("/widget/v1/chats/", {"name": "Zofia", "queue": queue.pk, "visitor_key": key},
                            format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    visitor.credentials(HTTP_X_VISITOR_TOKEN=data["token"])
    return visitor, data["chat"]


@pytest.fixture
def visitor_chat(queue):
    return start(queue, "visitor-key-rating-0001")


@pytest.fixture
def closed(visitor_chat):
    visitor, chat = visitor_chat
    assert visitor.post(f"/widget/v1/chats/{chat['id']}/close/").status_code == 200
    return visitor, chat


def rate(visitor, chat_id, body, **kwargs):
    return visitor.post(f"/widget/v1/chats/{chat_id}/rating/", body, format="json", **EN, **kwargs)


def nothing_written(chat_id) -> None:
    chat = Chat.objects.get(pk=chat_id)
    assert (chat.rating, chat.rating_comment, chat.rated_at) == (None, "", None)
    assert not ChatEvent.objects.filter(chat_id=chat_id, kind=ChatEvent.Kind.RATED).exists()


def test_a_closed_chat_asks_for_a_rating_and_takes_one(closed):
    visitor, chat = closed
    state = visitor.get(f"/widget/v1/chats/{chat['id']}/").json()
    assert (state["status"], state["rating"], state["rating_open"]) == ("closed", None, True)

    response = rate(visitor, chat["id"], {"score": 4, "comment": "Szybko i konkretnie."})

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["score"], body["comment"]) == (4, "Szybko i konkretnie.")
    stored = Chat.objects.get(pk=chat["id"])
    assert (stored.rating, stored.rating_comment) == (4, "Szybko i konkretnie.")
    assert ChatEvent.objects.get(chat=stored, kind=ChatEvent.Kind.RATED).data["via"] == "widget"
    state = visitor.get(f"/widget/v1/chats/{chat['id']}/").json()
    assert (state["rating"], state["rating_open"]) == (4, False)  # the prompt is not shown again


def test_the_comment_is_optional(closed):
    visitor, chat = closed
    assert rate(visitor, chat["id"], {"score": 5}).status_code == 201
    assert Chat.objects.get(pk=chat["id"]).rating_comment == ""


def test_a_second_rating_is_409_with_a_message_and_changes_nothing(closed):
    visitor, chat = closed
    assert rate(visitor, chat["id"], {"score": 2, "comment": "first"}).status_code == 201

    response = rate(visitor, chat["id"], {"score": 5, "comment": "second"})

    assert response.status_code == 409
    assert response.json() == {"detail": ["This conversation has already been rated."], "code": "already_rated"}
    stored = Chat.objects.get(pk=chat["id"])
    assert (stored.rating, stored.rating_comment) == (2, "first")
    assert ChatEvent.objects.filter(chat=stored, kind=ChatEvent.Kind.RATED).count() == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"score": 0}, "Ensure this value is greater than or equal to 1."),
        ({"score": 6}, "Ensure this value is less than or equal to 5."),
        ({"score": "abc"}, "A valid integer is required."),
        ({"score": 4.5}, "A valid integer is required."),
        ({"score": None}, "This field may not be null."),
        ({"score": True}, "A valid integer is required."),
        ({}, "This field is required."),
        ({"comment": "no score"}, "This field is required."),
    ],
)
def test_a_bad_score_is_400_naming_the_field_and_writes_nothing(closed, body, message):
    visitor, chat = closed
    response = rate(visitor, chat["id"], body)
    assert response.status_code == 400
    assert response.json() == {"score": [message]}
    nothing_written(chat["id"])


def test_a_comment_over_1000_characters_is_400_and_writes_nothing(closed):
    visitor, chat = closed
    response = rate(visitor, chat["id"], {"score": 4, "comment": "x" * 1001})
    assert response.status_code == 400
    assert response.json() == {"comment": ["Ensure this field has no more than 1000 characters."]}
    nothing_written(chat["id"])


def test_malformed_json_is_400_and_writes_nothing(closed):
    visitor, chat = closed
    response = visitor.post(
        f"/widget/v1/chats/{chat['id']}/rating/", data=b'{"score": 4,', content_type="application/json", **EN
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    nothing_written(chat["id"])


def test_a_json_list_instead_of_an_object_is_400(closed):
    visitor, chat = closed
    assert rate(visitor, chat["id"], [4]).status_code == 400
    nothing_written(chat["id"])


def test_without_the_token_or_with_a_wrong_one_it_is_401(closed):
    _visitor, chat = closed
    assert APIClient().post(f"/widget/v1/chats/{chat['id']}/rating/", {"score": 5}, format="json").status_code == 401
    stranger = APIClient()
    stranger.credentials(HTTP_X_VISITOR_TOKEN="not-the-token")
    response = rate(stranger, chat["id"], {"score": 5})
    assert response.status_code == 401
    assert response.json() == {"detail": "The visitor token is wrong or does not open this chat."}
    nothing_written(chat["id"])


def test_someone_elses_closed_chat_cannot_be_rated_with_my_token(closed, queue):
    mine, _my_chat = closed
    _theirs, their_chat = start(queue, "visitor-key-rating-0002")
    chat_close(chat_id=their_chat["id"], reason=Chat.CloseReason.CLIENT)

    assert rate(mine, their_chat["id"], {"score": 1}).status_code == 401
    nothing_written(their_chat["id"])


def test_an_internal_chat_cannot_be_reached_with_a_visitor_token(closed):
    visitor, _chat = closed
    one, other = User.objects.create(username="one"), User.objects.create(username="two")
    internal = chat_start(channel="internal", initiator_id=one.pk, peer_id=other.pk)
    chat_close(chat_id=internal.pk, reason="agent", actor=one)

    assert rate(visitor, internal.pk, {"score": 5}).status_code == 401
    nothing_written(internal.pk)


def test_an_open_chat_is_409_not_closed_and_writes_nothing(visitor_chat):
    visitor, chat = visitor_chat
    response = rate(visitor, chat["id"], {"score": 5})
    assert response.status_code == 409
    assert response.json() == {"detail": ["The conversation can be rated once it has ended."], "code": "not_closed"}
    assert visitor.get(f"/widget/v1/chats/{chat['id']}/").json()["rating_open"] is False
    nothing_written(chat["id"])


def test_with_the_survey_switched_off_the_widget_does_not_ask_and_a_rating_is_409(closed):
    visitor, chat = closed
    ChatSettings.objects.filter(pk=ChatSettings.load().pk).update(rating_survey_enabled=False)

    assert visitor.get(f"/widget/v1/chats/{chat['id']}/").json()["rating_open"] is False
    response = rate(visitor, chat["id"], {"score": 5})
    assert response.status_code == 409
    assert response.json()["code"] == "ratings_off"
    nothing_written(chat["id"])


def test_the_refusal_speaks_the_widgets_language(closed):
    visitor, chat = closed
    rate(visitor, chat["id"], {"score": 3})
    response = visitor.post(f"/widget/v1/chats/{chat['id']}/rating/", {"score": 3}, format="json",
                            HTTP_ACCEPT_LANGUAGE="pl")
    assert response.status_code == 409
    assert response.json()["detail"] == ["Ta rozmowa została już oceniona."]

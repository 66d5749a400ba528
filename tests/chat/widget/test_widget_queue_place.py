"""The widget API tells a waiting visitor his place in the queue (issue 15, point 6), and its poll notices when the
queue moved: the chat's ``queue_place`` while it waits, null once assigned."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_assign, chat_close
from tests import factories


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def start(queue, key: str, *, lang: str = "en") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=lang)
    response = client.post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": key, "name": key[:5]},
                           format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    client.credentials(HTTP_X_VISITOR_TOKEN=data["token"])
    client.chat_id = data["chat"]["id"]
    client.started = data
    return client


def detail(client) -> dict:
    response = client.get(f"/widget/v1/chats/{client.chat_id}/")
    assert response.status_code == 200
    return response.json()


def poll(client, *, v=""):
    return client.get(f"/widget/v1/chats/{client.chat_id}/messages/", {"since": 0, **({"v": v} if v else {})})


@pytest.fixture
def pace(queue):
    """The queue assigned six chats in the last half hour: one every five minutes."""
    now = timezone.now()
    for minutes in (1, 6, 11, 16, 21, 26):
        chat = factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=factories.UserFactory())
        ChatEvent.objects.create(chat=chat, kind=ChatEvent.Kind.ASSIGNED, queue=queue,
                                 created_at=now - timedelta(minutes=minutes))


def test_a_waiting_visitor_reads_his_place_and_the_estimate_until_he_is_assigned(queue, pace, agent_factory):
    first, second = start(queue, "first-visitor-0001"), start(queue, "second-visitor-0002")

    assert first.started["chat"]["queue_place"] == {
        "position": 1, "wait_seconds": 300, "text": "You are next in line, about 5 minutes."}
    assert detail(second)["queue_place"] == {
        "position": 2, "wait_seconds": 600, "text": "You are 2nd in line, about 10 minutes."}

    chat_assign(chat_id=first.chat_id, agent_id=agent_factory(queue=queue).pk)

    assert detail(first)["queue_place"] is None
    # One more assignment in the window: seven in 30 minutes.
    assert detail(second)["queue_place"] == {
        "position": 1, "wait_seconds": 257, "text": "You are next in line, about 5 minutes."}


def test_the_sentence_comes_in_the_widget_s_language(queue, pace):
    start(queue, "first-visitor-0001")
    polish = start(queue, "second-visitor-0002", lang="pl")

    assert detail(polish)["queue_place"]["text"] == "Jesteś 2. w kolejce, około 10 minut."


def test_without_a_recent_assignment_there_is_no_estimate(queue):
    client = start(queue, "first-visitor-0001")

    assert detail(client)["queue_place"] == {
        "position": 1, "wait_seconds": None, "text": "You are next in line. We will answer as soon as possible."}


def test_a_chat_whose_automatic_assignment_stopped_shows_no_place(queue):
    client = start(queue, "first-visitor-0001")
    Chat.objects.filter(pk=client.chat_id).update(auto_assign_stopped_at=timezone.now())

    assert detail(client)["queue_place"] is None


def test_the_poll_of_a_waiting_chat_notices_that_its_queue_moved(queue, cache_in_memory, committed,
                                                                 agent_factory, django_assert_num_queries):
    """A chat ahead assigned moves no counter of the visitor's chat, but his place: the poll's version follows the
    queue too, so the fallback poll answers with a new version and the widget asks for the chat again."""
    with committed():
        ahead = start(queue, "first-visitor-0001")
        visitor = start(queue, "second-visitor-0002")
    version = poll(visitor)["X-Parley-Version"]
    assert version.split(".")[1] == str(queue.pk)
    with django_assert_num_queries(0):
        assert poll(visitor, v=version).json() == []  # nothing moved: the cheap answer

    with committed():
        chat_assign(chat_id=ahead.chat_id, agent_id=agent_factory(queue=queue).pk)

    moved = poll(visitor, v=version)
    assert moved.json() == [] and moved["X-Parley-Version"] != version
    assert detail(visitor)["queue_place"]["position"] == 1

    with committed():
        chat_close(chat_id=visitor.chat_id, reason="client")
    closed = poll(visitor, v=moved["X-Parley-Version"])
    assert "." not in closed["X-Parley-Version"]  # no longer waiting: the chat's counter alone

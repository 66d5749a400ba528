"""The widget's message poll answers "nothing new" from the cache alone when it sends back the chat's version;
any change moves the version and the next poll brings it (docs/decisions.md, "Cheap polls")."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from chat.services.chats import chat_assign, chat_close
from chat.services.messages import message_post

KEY = "visitor-key-0123456789"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def visitor(cache_in_memory, queue, committed):
    client = APIClient()
    with committed():  # the token's hash reaches the cache after the start commits
        data = client.post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": KEY}, format="json").json()
    client.credentials(HTTP_X_VISITOR_TOKEN=data["token"])
    client.chat_id = data["chat"]["id"]
    return client


def poll(client, *, since=0, v=""):
    return client.get(f"/widget/v1/chats/{client.chat_id}/messages/", {"since": since, **({"v": v} if v else {})})


def test_nothing_new_is_answered_without_a_query(visitor, django_assert_num_queries):
    first = poll(visitor)
    version = first["X-Parley-Version"]

    with django_assert_num_queries(0):
        again = poll(visitor, v=version)
    assert (again.status_code, again.json(), again["X-Parley-Version"]) == (200, [], version)


def test_an_agent_s_reply_moves_the_version_and_the_next_poll_brings_it(visitor, agent_factory, queue, committed):
    agent = agent_factory(queue=queue)
    version = poll(visitor)["X-Parley-Version"]
    with committed():
        chat_assign(chat_id=visitor.chat_id, agent_id=agent.pk)
        message_post(chat_id=visitor.chat_id, sender="agent", body="Dzień dobry!", author_id=agent.pk)

    answer = poll(visitor, v=version)

    assert [m["body"] for m in answer.json()] == ["Dzień dobry!"]
    assert answer["X-Parley-Version"] != version


def test_closing_the_chat_moves_the_version(visitor, committed):
    version = poll(visitor)["X-Parley-Version"]
    with committed():
        chat_close(chat_id=visitor.chat_id, reason="agent")

    assert [m["sender"] for m in poll(visitor, v=version).json()] == ["system"]


def test_another_chat_s_token_gets_nothing_even_with_the_right_version(visitor, queue, committed):
    version = poll(visitor)["X-Parley-Version"]
    thief = APIClient()
    with committed():
        other = thief.post(
            "/widget/v1/chats/", {"queue": queue.pk, "visitor_key": "another-visitor-key-42"}, format="json"
        ).json()
    thief.credentials(HTTP_X_VISITOR_TOKEN=other["token"])
    thief.chat_id = visitor.chat_id

    assert poll(thief, v=version).status_code == 401


def test_a_new_token_for_the_same_visitor_retires_the_old_one_on_the_cheap_path_too(visitor, queue, committed):
    version = poll(visitor)["X-Parley-Version"]
    with committed():
        APIClient().post("/widget/v1/chats/", {"queue": queue.pk, "visitor_key": KEY}, format="json")

    assert poll(visitor, v=version).status_code == 401

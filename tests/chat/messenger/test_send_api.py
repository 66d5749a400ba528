import hashlib
import hmac

import pytest
from django.conf import settings

from chat.models import Chat, Message
from chat.services.chats import chat_assign
from tests.chat.api.fixtures import token_client


def test_an_agents_reply_goes_out_through_the_send_api(graph, reply):
    message = reply("Good morning!")
    assert len(graph.requests) == 1
    sent = graph.requests[0]
    assert sent["path"] == "/v21.0/me/messages"
    # The token travels in a header, not in the URL; appsecret_proof = HMAC-SHA256(app secret, token).
    assert sent["headers"]["Authorization"] == "Bearer page-token"
    assert "access_token" not in sent["query"] and "page-token" not in sent["raw_path"]
    assert sent["query"]["appsecret_proof"] == [
        hmac.new(settings.MESSENGER_APP_SECRET.encode(), b"page-token", hashlib.sha256).hexdigest()
    ]
    assert sent["json"]["recipient"] == {"id": "PSID-42"}
    assert sent["json"]["message"] == {"text": "Good morning!"}
    assert (message.delivery_status, message.delivery_attempts, message.delivery_error) == ("sent", 1, "")


def test_transient_failures_are_retried_until_sent(graph, reply, sweep_later):
    # 503 and 429: Graph said it did not handle the request (a 500 may have been processed: test_outbox.py).
    graph.script = [(503, {"error": {"message": "temporarily down"}}), (429, {"error": {"message": "slow down"}})]
    message = reply()
    while message.delivery_status == "pending":  # each retry waits for its backoff
        sweep_later()
        message.refresh_from_db()
    assert len(graph.requests) == 3
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 3)


def test_a_permanent_failure_is_not_retried_and_shows_on_the_chat(graph, reply, agent, messenger_chat):
    graph.script = [(400, {"error": {"message": "(#100) No matching user found", "code": 100}})]
    message = reply()
    assert len(graph.requests) == 1
    assert message.delivery_status == "failed"
    assert "No matching user found" in message.delivery_error
    chat = token_client(agent).get(f"/api/v1/chats/{messenger_chat.pk}/").json()
    assert chat["delivery_failures"] == 1
    assert "No matching user found" in chat["last_delivery_error"]
    listed = token_client(agent).get(f"/api/v1/chats/{messenger_chat.pk}/messages/").json()
    assert [m["delivery_status"] for m in listed if m["sender"] == "agent"] == ["failed"]


def test_a_send_api_that_keeps_failing_ends_failed_after_the_retries(graph, reply, settings, sweep_later):
    graph.script = [(503, {"error": {"message": "unavailable"}})] * 20
    message = reply()
    while message.delivery_status == "pending":
        sweep_later()
        message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.delivery_attempts == settings.MESSENGER_SEND_MAX_RETRIES + 1
    assert len(graph.requests) == settings.MESSENGER_SEND_MAX_RETRIES + 1
    assert "503" in message.delivery_error


def test_an_unreachable_send_api_ends_failed(reply, settings, sweep_later):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.MESSENGER_GRAPH_URL = f"http://127.0.0.1:{port}/v21.0"
    message = reply()
    while message.delivery_status == "pending":
        sweep_later()
        message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.delivery_attempts == settings.MESSENGER_SEND_MAX_RETRIES + 1
    assert "unreachable" in message.delivery_error


def test_replies_on_website_chats_are_not_sent_to_messenger(graph, agent, start_chat,
                                                          django_capture_on_commit_callbacks, eager_celery):
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    with django_capture_on_commit_callbacks(execute=True):
        token_client(agent).post(f"/api/v1/chats/{chat.pk}/messages/", {"body": "Hi"}, format="json")
    assert graph.requests == []
    assert Message.objects.get(chat=chat, sender="agent").delivery_status == ""


def test_the_send_happens_only_after_commit(graph, agent, messenger_chat, eager_celery):
    from django.db import transaction

    from chat.services.messages import message_post

    with pytest.raises(RuntimeError), transaction.atomic():
        message_post(chat_id=messenger_chat.pk, sender="agent", author_id=agent.pk, body="never")
        raise RuntimeError("rolled back")
    assert graph.requests == []
    assert not Chat.objects.get(pk=messenger_chat.pk).messages.filter(body="never").exists()

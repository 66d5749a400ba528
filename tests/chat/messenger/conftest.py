import json
from datetime import timedelta

import pytest
from django.utils import timezone

from chat.messenger.signature import sign
from chat.models import Message
from chat.services.chats import chat_assign, chat_start
from tests.chat.api.fixtures import *  # noqa: F401,F403
from tests.chat.api.fixtures import token_client
from tests.chat.messenger.graph_server import GraphServer


@pytest.fixture
def graph(settings):
    with GraphServer() as server:
        settings.MESSENGER_GRAPH_URL = server.url
        settings.MESSENGER_PAGE_ACCESS_TOKEN = "page-token"
        yield server


@pytest.fixture
def eager_celery():
    from config.celery import app

    old = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = old


@pytest.fixture
def sweep_later(time_machine, django_capture_on_commit_callbacks):
    """Let time pass (by default beyond the longest backoff plus the sweep's grace), then run the
    outbox sweep with its commit hooks (the queued deliveries; eager with ``eager_celery``)."""
    from chat.messenger.outbox import messenger_outbox_sweep

    def run(*, after=timedelta(minutes=11)):
        time_machine.move_to(timezone.now() + after)
        with django_capture_on_commit_callbacks(execute=True):
            return messenger_outbox_sweep()

    return run


def event(sender="PSID-1", mid="m_1", text="Hello"):
    return {
        "object": "page",
        "entry": [{"id": "PAGE", "time": 1, "messaging": [
            {"sender": {"id": sender}, "recipient": {"id": "PAGE"}, "timestamp": 1,
             "message": {"mid": mid, "text": text}},
        ]}],
    }


@pytest.fixture
def deliver():
    """POST a payload to the webhook, signed with the app secret unless told otherwise."""
    from django.test import Client

    def post(payload, *, signature="auto", client=None):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        headers = {}
        if signature == "auto":
            headers["HTTP_X_HUB_SIGNATURE_256"] = sign(raw)
        elif signature is not None:
            headers["HTTP_X_HUB_SIGNATURE_256"] = signature
        return (client or Client()).post("/webhooks/messenger", data=raw, content_type="application/json", **headers)

    return post


@pytest.fixture
def messenger_chat(queue, agent):
    chat = chat_start(channel="messenger", visitor_messenger_id="PSID-42", queue_id=queue.pk)
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


@pytest.fixture
def reply(agent, messenger_chat, django_capture_on_commit_callbacks, eager_celery):
    """The agent replies through the REST API; the commit hooks (the delivery task, eager) run."""

    def post(body="Good morning!"):
        with django_capture_on_commit_callbacks(execute=True):
            response = token_client(agent).post(
                f"/api/v1/chats/{messenger_chat.pk}/messages/", {"body": body}, format="json"
            )
        assert response.status_code == 201, response.content
        return Message.objects.get(pk=response.json()["id"])

    return post

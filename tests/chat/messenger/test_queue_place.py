"""A Messenger customer whose chat starts waiting is told his place once, as text (issue 15, point 6): through the
webhook and the outbox to a real HTTP stand-in for the Send API."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from chat.messenger.services import messenger_queue_place_send
from chat.models import Chat, ChatEvent, Message
from tests import factories
from tests.chat.messenger.conftest import event


@pytest.fixture
def live(settings, eager_celery, graph, django_capture_on_commit_callbacks):
    """Deliver a webhook payload and run what its commit starts, as a worker would: dispatch, then the place."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    def run(deliver, payload):
        with django_capture_on_commit_callbacks(execute=True):
            assert deliver(payload).status_code == 200

    return run


def texts(graph) -> list[str]:
    return [request["json"]["message"]["text"] for request in graph.requests]


def sent_events(chat) -> int:
    return ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.QUEUE_POSITION_SENT).count()


def test_a_waiting_customer_gets_his_place_once_as_text(deliver, queue, live, graph):
    live(deliver, event(sender="PSID-1", mid="m_1", text="Hello"))

    chat = Chat.objects.get()
    assert chat.status == "waiting"
    # The site's language (as every system message): Polish here.
    assert texts(graph) == ["Jesteś następną osobą w kolejce. Odpowiemy najszybciej, jak to możliwe."]
    assert graph.requests[0]["json"]["recipient"] == {"id": "PSID-1"}
    line = Message.objects.get(chat=chat, sender="system")
    assert (line.body, line.delivery_status) == (texts(graph)[0], "sent")
    recorded = ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.QUEUE_POSITION_SENT)
    assert recorded.data == {"message": line.pk, "position": 1, "wait_seconds": None}

    live(deliver, event(sender="PSID-1", mid="m_2", text="Anyone there?"))  # the same chat, still waiting
    assert len(graph.requests) == 1
    assert sent_events(chat) == 1


def test_the_place_counts_the_chats_ahead_and_the_queue_s_pace(deliver, queue, live, graph):
    now = timezone.now()
    for minutes in (2, 7, 12, 17, 22, 27):  # one assignment every five minutes
        done = factories.ChatFactory(queue=queue, status=Chat.Status.ASSIGNED, agent=factories.UserFactory())
        ChatEvent.objects.create(chat=done, kind=ChatEvent.Kind.ASSIGNED, queue=queue,
                                 created_at=now - timedelta(minutes=minutes))
    factories.ChatFactory(queue=queue, queued_at=now - timedelta(minutes=3))  # a website visitor ahead

    live(deliver, event(sender="PSID-2", mid="m_1"))

    assert texts(graph) == ["Jesteś 2. w kolejce, około 10 minut."]


def test_a_chat_an_agent_takes_at_once_gets_no_place(deliver, queue, live, graph, agent_factory):
    agent_factory(queue=queue, logged_in=True)

    live(deliver, event(sender="PSID-3", mid="m_1"))

    chat = Chat.objects.get()
    assert chat.status == "assigned"
    assert graph.requests == []
    assert sent_events(chat) == 0


def test_sending_it_again_sends_nothing(queue, graph, eager_celery, django_capture_on_commit_callbacks):
    chat = factories.ChatFactory(queue=queue, channel="messenger", visitor_messenger_id="PSID-4")
    with django_capture_on_commit_callbacks(execute=True):
        first = messenger_queue_place_send(chat_id=chat.pk)
        again = messenger_queue_place_send(chat_id=chat.pk)

    assert first is not None and again is None
    assert len(graph.requests) == 1
    assert sent_events(chat) == 1


def test_a_chat_whose_automatic_assignment_stopped_or_of_the_website_gets_nothing(queue):
    stopped = factories.ChatFactory(queue=queue, channel="messenger", visitor_messenger_id="PSID-5",
                                    auto_assign_stopped_at=timezone.now())
    website = factories.ChatFactory(queue=queue)

    assert messenger_queue_place_send(chat_id=stopped.pk) is None
    assert messenger_queue_place_send(chat_id=website.pk) is None
    assert not ChatEvent.objects.filter(kind=ChatEvent.Kind.QUEUE_POSITION_SENT).exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_it_once(queue):
    """A task delivered twice, run by two workers at the same moment: the chat row's lock lets one of them write."""
    chat = factories.ChatFactory(queue=queue, channel="messenger", visitor_messenger_id="PSID-6")
    barrier, results = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait(timeout=5)
            results.append(messenger_queue_place_send(chat_id=chat.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)

    assert sorted(result is None for result in results) == [False, True]
    assert sent_events(chat) == 1
    assert Message.objects.filter(chat=chat, sender="system").count() == 1

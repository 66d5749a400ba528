"""The Messenger outbox with a real Celery worker process on Redis and the real Graph stand-in:
a worker killed mid-request, and a broker that was down when the agent replied."""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest
import redis
import time_machine
from django.utils import timezone

from chat.messenger.outbox import claim_timeout, messenger_outbox_sweep
from chat.messenger.tasks import messenger_send_reply
from chat.models import Message
from chat.services.chats import chat_assign, chat_start
from chat.services.messages import message_post
from tests.chat.messenger.processes import REDIS_URL, broker, closed_port, start_worker, stop_worker, worker_env
from tests.polling import poll_until

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgresql("a Celery worker process on the test database"),
]


@pytest.fixture
def redis_db():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()  # nothing left over from an earlier run
    yield client
    client.flushdb()


@pytest.fixture
def worker(graph, redis_db, tmp_path):
    """A real ``celery -A config worker`` on the Redis broker, the test database and the Graph stand-in."""
    log = tmp_path / "worker.log"
    proc = start_worker(worker_env(graph.url, MESSENGER_SEND_TIMEOUT_SECONDS="60"), log)
    proc.log = log
    yield proc
    stop_worker(proc)


@pytest.fixture
def messenger_chat(queue, agent):
    chat = chat_start(channel="messenger", visitor_messenger_id="PSID-42", queue_id=queue.pk)
    return chat_assign(chat_id=chat.pk, agent_id=agent.pk)


def wait_for_graph_requests(graph, count: int, worker, *, seconds: float = 90) -> None:
    """Wait on the stand-in's Condition (notified as each request arrives) until the worker sent ``count``
    requests; every second without one, check that the worker is still alive (fail with its log if not)."""
    deadline = time.monotonic() + seconds
    while not graph.wait_for(count, timeout=1):
        assert worker.poll() is None, worker.log.read_text()
        assert time.monotonic() < deadline, "timed out\n--- worker\n" + worker.log.read_text()


def worker_alive(worker):
    def check():
        assert worker.poll() is None, worker.log.read_text()

    return check


def test_a_worker_killed_after_graph_accepted_leaves_the_reply_unknown_and_nothing_is_resent(
    graph, worker, messenger_chat, agent
):
    graph.hold()  # Graph records the reply, then keeps its answer
    with broker(REDIS_URL):
        message = message_post(chat_id=messenger_chat.pk, sender="agent", author_id=agent.pk, body="On its way")
    wait_for_graph_requests(graph, 1, worker)
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sending", 1)

    stop_worker(worker, sig=signal.SIGKILL)  # the worker dies mid-request
    graph.release()

    assert messenger_outbox_sweep() == 0  # a claim younger than the longest call is left alone
    assert Message.objects.get(pk=message.pk).delivery_status == "sending"
    with time_machine.travel(timezone.now() + claim_timeout() + timedelta(seconds=1), tick=False):
        assert messenger_outbox_sweep() == 1
    message.refresh_from_db()
    assert message.delivery_status == "unknown"  # not pending forever, and not sent again blindly

    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert messenger_outbox_sweep() == 0
    # The killed worker's task, redelivered by the broker one day, finds nothing to claim.
    assert messenger_send_reply.apply(args=(message.pk,)).get() == "unknown"
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    assert len(graph.requests) == 1


def test_a_reply_written_while_the_broker_was_down_is_sent_once_by_the_worker_when_it_is_back(
    graph, worker, messenger_chat, agent
):
    with broker(f"redis://127.0.0.1:{closed_port()}/0"):  # the broker is down
        message = message_post(chat_id=messenger_chat.pk, sender="agent", author_id=agent.pk, body="Hello?")
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts, message.delivery_queued_at) == ("pending", 0, None)

    with broker(REDIS_URL):  # the broker is back; the sweep (beat's job) queues it, the worker sends it
        assert messenger_outbox_sweep() == 1
        # The worker writes "sent" once Graph's answer is back; nothing tells this process when: it looks again.
        poll_until(
            lambda: Message.objects.get(pk=message.pk).delivery_status == "sent", timeout=90, every=0.2,
            alive=worker_alive(worker), message=lambda: "the reply to be sent\n--- worker\n" + worker.log.read_text(),
        )
        assert messenger_outbox_sweep() == 0
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 1)
    assert len(graph.requests) == 1
    assert graph.requests[0]["json"]["message"] == {"text": "Hello?"}
    assert "messenger_send_reply" in worker.log.read_text()

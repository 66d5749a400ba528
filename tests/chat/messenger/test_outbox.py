"""The Messenger outbox against the real HTTP stand-in: a reply is sent again automatically only
when Graph was provably not reached; anything else that is not a clear answer is "unknown" and
waits for an agent's "send again" (chat/messenger/outbox.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from chat.messenger.outbox import (
    QUEUE_GRACE,
    claim_timeout,
    message_delivery_retry,
    messenger_message_deliver,
    messenger_outbox_sweep,
)
from chat.models import ChatEvent, Message
from chat.services.chats import chat_assign, chat_close
from chat.services.errors import ChatError
from tests.chat.api.fixtures import token_client
from tests.chat.messenger.processes import broker, closed_port, in_thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def send_again(agent, messenger_chat, django_capture_on_commit_callbacks, eager_celery):
    """The agent presses "send again" through the REST API; the commit hooks run."""

    def post(message, *, user=None):
        with django_capture_on_commit_callbacks(execute=True):
            return token_client(user or agent).post(
                f"/api/v1/chats/{message.chat_id}/messages/{message.pk}/resend/", format="json",
                HTTP_ACCEPT_LANGUAGE="en",
            )

    return post


# --- 1. Graph answers after the client's timeout ---------------------------------------------------------------


def test_a_graph_that_answers_after_the_timeout_gets_the_reply_once_until_the_agent_sends_it_again(
    graph, reply, send_again, sweep_later, settings, agent
):
    settings.MESSENGER_SEND_TIMEOUT_SECONDS = 0.3
    graph.hold()  # Graph records the message at once and answers only later
    message = reply("Your parcel left today.")
    graph.release()

    message.refresh_from_db()
    assert len(graph.requests) == 1
    assert (message.delivery_status, message.delivery_attempts) == ("unknown", 1)
    assert "No answer from the Send API within 0.3 s" in message.delivery_error

    # The sweep never sends an unknown reply again, however long it waits.
    sweep_later(after=claim_timeout() + timedelta(hours=1))
    sweep_later(after=timedelta(days=1))
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert len(graph.requests) == 1

    # The agent decides: it goes out once more.
    response = send_again(message)
    assert response.status_code == 200, response.content
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 2)
    assert response.json()["delivery_status"] == "pending"  # what it was when the API answered
    assert len(graph.requests) == 2
    assert graph.requests[1]["json"]["message"] == {"text": "Your parcel left today."}
    event = ChatEvent.objects.get(chat_id=message.chat_id, kind="reply_sent_again")
    assert (event.actor, event.data["message"], event.data["previous"]) == (agent, message.pk, "unknown")


def test_a_server_error_may_have_been_processed_so_the_reply_is_unknown_and_not_retried(graph, reply, sweep_later):
    graph.script = [(500, {"error": {"message": "An unknown error has occurred.", "code": 1}})]
    message = reply()
    sweep_later()
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert "HTTP 500" in message.delivery_error
    assert len(graph.requests) == 1


def test_a_connection_dropped_after_the_request_was_written_is_unknown(graph, reply, sweep_later):
    graph.script = [(None, {})]
    message = reply()
    sweep_later()
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert "Connection lost after the request was sent" in message.delivery_error
    assert len(graph.requests) == 1


# --- retries: only when Graph was not reached, each after its backoff ------------------------------------------


def test_a_refused_connection_is_retried_after_its_backoff_and_not_before(graph, reply, settings, sweep_later):
    settings.MESSENGER_GRAPH_URL = f"http://127.0.0.1:{closed_port()}/v21.0"
    message = reply()
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("pending", 1)
    assert "Send API unreachable" in message.delivery_error
    assert message.delivery_next_attempt_at > timezone.now()

    settings.MESSENGER_GRAPH_URL = graph.url  # Graph is reachable again
    # A task that arrives before the backoff (a duplicate, a clock ahead) does not claim it, and within
    # the grace the sweep leaves it to the countdown task its failure queued.
    assert messenger_message_deliver(message_id=message.pk) == "pending"
    sweep_later(after=timedelta(seconds=3))
    assert graph.requests == []

    sweep_later()
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts, message.delivery_error) == ("sent", 2, "")
    assert len(graph.requests) == 1


def test_a_throttling_error_code_in_a_400_is_retried(graph, reply, sweep_later):
    graph.script = [(400, {"error": {"message": "(#613) Calls to this api have exceeded the rate limit.",
                                     "code": 613}})]
    message = reply()
    message.refresh_from_db()
    assert message.delivery_status == "pending"
    sweep_later()
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(graph.requests) == 2


def test_a_task_delivered_again_after_the_reply_was_sent_sends_nothing(graph, reply):
    message = reply()
    assert messenger_message_deliver(message_id=message.pk) == "sent"
    assert len(graph.requests) == 1


# --- the sweep -------------------------------------------------------------------------------------------------


def test_a_reply_written_while_the_broker_is_down_stays_pending_and_the_sweep_sends_it_once(
    graph, agent, messenger_chat, django_capture_on_commit_callbacks, eager_celery
):
    eager_celery.conf.task_always_eager = False
    with broker(f"redis://127.0.0.1:{closed_port()}/0"), django_capture_on_commit_callbacks(execute=True):
        response = token_client(agent).post(
            f"/api/v1/chats/{messenger_chat.pk}/messages/", {"body": "Still there?"}, format="json"
        )
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["id"])
    assert (message.delivery_status, message.delivery_attempts, message.delivery_error) == ("pending", 0, "")
    assert message.delivery_queued_at is None  # nobody has it: the sweep must
    assert graph.requests == []

    eager_celery.conf.task_always_eager = True  # the broker is back (the eager call stands for the worker)
    with django_capture_on_commit_callbacks(execute=True):
        assert messenger_outbox_sweep() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert messenger_outbox_sweep() == 0
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts) == ("sent", 1)
    assert len(graph.requests) == 1


def test_a_queued_task_that_never_runs_is_replaced_after_the_grace(
    graph, agent, messenger_chat, django_capture_on_commit_callbacks, eager_celery, time_machine
):
    from chat.services.messages import message_post

    time_machine.move_to(timezone.now(), tick=False)
    eager_celery.conf.task_always_eager = False  # queued on the memory broker, where no worker runs it: lost
    with django_capture_on_commit_callbacks(execute=True):
        message = message_post(chat_id=messenger_chat.pk, sender="agent", author_id=agent.pk, body="Lost?")
    eager_celery.conf.task_always_eager = True

    def sweep_after(delta):
        time_machine.move_to(message.created_at + delta, tick=False)
        with django_capture_on_commit_callbacks(execute=True):
            return messenger_outbox_sweep()

    assert sweep_after(QUEUE_GRACE - timedelta(seconds=1)) == 0  # its task may still be on its way
    assert graph.requests == []
    assert sweep_after(QUEUE_GRACE) == 1
    assert sweep_after(QUEUE_GRACE * 3) == 0
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert len(graph.requests) == 1


def test_the_sweep_leaves_a_young_claim_alone_and_calls_an_old_one_unknown(messenger_chat, agent):
    now = timezone.now()
    message = Message.objects.create(
        chat=messenger_chat, sender="agent", author=agent, body="Hi", delivery_status="sending",
        delivery_claimed_at=now, delivery_attempts=1,
    )
    assert messenger_outbox_sweep(now=now + claim_timeout() - timedelta(seconds=1)) == 0
    assert Message.objects.get(pk=message.pk).delivery_status == "sending"
    with translation.override("en"):
        assert messenger_outbox_sweep(now=now + claim_timeout() + timedelta(seconds=1)) == 1
    message.refresh_from_db()
    assert message.delivery_status == "unknown"
    assert message.delivery_error == "The sending stopped before Messenger answered; the reply may have arrived."
    assert messenger_outbox_sweep(now=now + timedelta(days=1)) == 0


@pytest.mark.django_db(transaction=True)
def test_an_answer_that_comes_after_the_sweep_gave_up_on_the_worker_still_counts(graph, reply, sweep_later):
    """The sweep thought the worker dead; the worker then got Graph's 200: proof of delivery wins."""
    graph.hold()
    worker = in_thread(reply)
    assert graph.wait_for(1, timeout=30)
    message = Message.objects.get(sender="agent")
    sweep_later(after=claim_timeout() + timedelta(seconds=1))
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    graph.release()
    worker.join(timeout=30)
    message.refresh_from_db()
    assert message.delivery_status == "sent"
    assert len(graph.requests) == 1


@pytest.mark.django_db(transaction=True)
def test_a_reply_claimed_by_one_worker_is_not_sent_by_another(graph, messenger_chat, agent, eager_celery):
    from chat.services.messages import message_post

    eager_celery.conf.task_always_eager = False  # nothing is queued: the two "workers" are the threads below
    message = message_post(chat_id=messenger_chat.pk, sender="agent", author_id=agent.pk, body="Once")
    graph.hold()
    first = in_thread(messenger_message_deliver, message_id=message.pk)
    assert graph.wait_for(1, timeout=30)
    assert messenger_message_deliver(message_id=message.pk) == "sending"  # the second worker finds it taken
    graph.release()
    first.join(timeout=30)
    assert Message.objects.get(pk=message.pk).delivery_status == "sent"
    assert len(graph.requests) == 1


# --- "send again" ----------------------------------------------------------------------------------------------


def test_send_again_after_failed_gives_the_reply_one_more_try(graph, reply, send_again):
    graph.script = [(400, {"error": {"message": "(#551) This person isn't available right now.", "code": 551}})]
    message = reply()
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    response = send_again(message)
    assert response.status_code == 200
    message.refresh_from_db()
    assert (message.delivery_status, message.delivery_attempts, message.delivery_error) == ("sent", 2, "")
    assert len(graph.requests) == 2


def test_send_again_is_refused_for_a_reply_that_is_sent_or_pending(graph, reply, send_again, messenger_chat, agent):
    sent = reply()
    response = send_again(sent)
    assert response.status_code == 409
    assert response.json() == {"message": ["This reply is not waiting to be sent again."], "code": "conflict"}
    pending = Message.objects.create(chat=messenger_chat, sender="agent", author=agent, body="x",
                                     delivery_status="pending", delivery_next_attempt_at=timezone.now())
    assert send_again(pending).status_code == 409
    assert len(graph.requests) == 1
    assert not ChatEvent.objects.filter(kind="reply_sent_again").exists()


def test_send_again_on_a_closed_chat_is_refused(graph, reply, send_again, messenger_chat):
    graph.script = [(500, {"error": {"message": "boom"}})]
    message = reply()
    chat_close(chat_id=messenger_chat.pk, reason="agent")
    response = send_again(message)
    assert response.status_code == 409
    assert response.json()["code"] == "closed"
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"


def test_send_again_of_a_message_that_is_not_a_messenger_reply_is_refused(agent, start_chat):
    chat = chat_assign(chat_id=start_chat().pk, agent_id=agent.pk)
    message = Message.objects.create(chat=chat, sender="agent", author=agent, body="Hi")
    with pytest.raises(ChatError) as refused:
        message_delivery_retry(message_id=message.pk, actor=agent)
    assert refused.value.code == "invalid"


def test_send_again_in_a_chat_the_user_cannot_see_is_404(graph, reply, send_again, other_agent, messenger_chat):
    graph.script = [(500, {"error": {"message": "boom"}})]
    message = reply()
    assert send_again(message, user=other_agent).status_code == 404
    assert Message.objects.get(pk=message.pk).delivery_status == "unknown"
    response = token_client(other_agent).post(f"/api/v1/chats/{messenger_chat.pk}/messages/999999/resend/")
    assert response.status_code == 404

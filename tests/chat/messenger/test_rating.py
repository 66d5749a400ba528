"""Satisfaction ratings on Messenger (issue 17, point 3): when a Messenger chat closes, the customer gets the rating
question with the quick replies 1-5 through the outbox (to a real HTTP stand-in for the Send API); his tap comes
back to the signed webhook, rates that chat once and never starts a new one (docs/ratings.md)."""

from __future__ import annotations

import json
import urllib.request

import pytest

from chat.messenger.signature import sign
from chat.models import Chat, ChatEvent, Message
from chat.services.chats import chat_assign, chat_close, chat_start
from chat.services.ratings import rating_quick_replies
from tests.chat.messenger.conftest import event


def tap(sender="PSID-1", mid="m_tap", payload="RATE:1:4", text="4"):
    """Meta's event for a tap on a quick reply: the title as text, the payload beside it."""
    payload_event = event(sender=sender, mid=mid, text=text)
    payload_event["entry"][0]["messaging"][0]["message"]["quick_reply"] = {"payload": payload}
    return payload_event


@pytest.fixture
def outbox(graph, eager_celery, django_capture_on_commit_callbacks):
    """Run what a commit starts (the outbox's delivery tasks, eager) against the Graph stand-in."""

    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.fixture
def closed_chat(deliver, queue, agent, outbox):
    """PSID-1 wrote, Anna took the chat and closed it: the rating question went out."""
    assert deliver(event(sender="PSID-1", mid="m_hello", text="Where is my parcel?")).status_code == 200
    chat = Chat.objects.get()
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    outbox(lambda: chat_close(chat_id=chat.pk, reason="agent", actor=agent))
    return Chat.objects.get(pk=chat.pk)


def sent(graph) -> list[dict]:
    return [request["json"]["message"] for request in graph.requests]


def ratings_of(chat) -> int:
    return ChatEvent.objects.filter(chat=chat, kind=ChatEvent.Kind.RATED).count()


def test_a_closed_messenger_chat_sends_the_question_with_quick_replies_1_to_5(closed_chat, graph):
    (question,) = sent(graph)
    assert question["text"] == "Jak oceniasz tę rozmowę? Wybierz od 1 (bardzo źle) do 5 (świetnie)."
    assert question["quick_replies"] == [
        {"content_type": "text", "title": str(n), "payload": f"RATE:{closed_chat.pk}:{n}"} for n in range(1, 6)
    ]
    assert graph.requests[0]["json"]["recipient"] == {"id": "PSID-1"}
    prompt = Message.objects.get(chat=closed_chat, quick_replies__isnull=False)
    assert (prompt.sender, prompt.delivery_status) == ("system", "sent")
    assert prompt.quick_replies == rating_quick_replies(closed_chat.pk)


def test_a_reply_of_an_agent_carries_no_quick_replies(deliver, queue, agent, outbox, graph):
    from chat.services.messages import message_post

    deliver(event(sender="PSID-5", mid="m_1"))
    chat = Chat.objects.get()
    chat_assign(chat_id=chat.pk, agent_id=agent.pk)
    outbox(lambda: message_post(chat_id=chat.pk, sender="agent", author_id=agent.pk, body="Hello!"))
    assert sent(graph) == [{"text": "Hello!"}]


def test_the_customers_tap_rates_the_chat_thanks_him_and_starts_no_chat(closed_chat, deliver, outbox, graph):
    response = outbox(lambda: deliver(tap(mid="m_tap_1", payload=f"RATE:{closed_chat.pk}:4")))

    assert response.status_code == 200
    assert response.json() == {"stored": 1, "skipped": 0}
    chat = Chat.objects.get(pk=closed_chat.pk)
    assert (chat.rating, chat.rating_comment, chat.status) == (4, "", "closed")
    assert ChatEvent.objects.get(chat=chat, kind=ChatEvent.Kind.RATED).data == {
        "score": 4, "comment": "", "via": "messenger",
    }
    assert Chat.objects.count() == 1  # no new chat
    assert not Message.objects.filter(sender="client", body="4").exists()  # the tap is no message
    assert sent(graph)[-1] == {"text": "Dziękujemy za ocenę!"}
    thanks = Message.objects.filter(chat=chat, sender="system").order_by("id").last()
    assert (thanks.body, thanks.delivery_status) == ("Dziękujemy za ocenę!", "sent")


def test_a_second_tap_is_ignored_nothing_written_nothing_sent(closed_chat, deliver, outbox, graph):
    outbox(lambda: deliver(tap(mid="m_tap_1", payload=f"RATE:{closed_chat.pk}:4")))
    requests_before = len(graph.requests)

    response = outbox(lambda: deliver(tap(mid="m_tap_2", payload=f"RATE:{closed_chat.pk}:1", text="1")))

    assert response.json() == {"stored": 0, "skipped": 1}
    assert Chat.objects.get(pk=closed_chat.pk).rating == 4
    assert ratings_of(closed_chat) == 1
    assert len(graph.requests) == requests_before  # no second "thank you"
    assert Chat.objects.count() == 1


def test_metas_redelivery_of_the_tap_thanks_once(closed_chat, deliver, outbox, graph):
    payload = tap(mid="m_tap_same", payload=f"RATE:{closed_chat.pk}:5", text="5")
    outbox(lambda: deliver(payload))
    outbox(lambda: deliver(payload))
    assert [m["text"] for m in sent(graph)].count("Dziękujemy za ocenę!") == 1
    assert ratings_of(closed_chat) == 1


def test_someone_else_cannot_rate_the_customers_chat(closed_chat, deliver, outbox, graph):
    requests_before = len(graph.requests)
    response = outbox(lambda: deliver(tap(sender="PSID-2", mid="m_x", payload=f"RATE:{closed_chat.pk}:1")))

    assert response.json() == {"stored": 0, "skipped": 1}
    assert Chat.objects.get(pk=closed_chat.pk).rating is None
    assert Chat.objects.count() == 1  # PSID-2 got no chat either
    assert len(graph.requests) == requests_before


@pytest.mark.parametrize(
    "payload", ["RATE:abc:4", "RATE:{chat}:0", "RATE:{chat}:6", "RATE:{chat}", "RATE:", "RATE:{chat}:4:1"]
)
def test_a_rating_payload_parley_did_not_send_is_skipped_and_starts_no_chat(closed_chat, deliver, payload):
    response = deliver(tap(mid="m_bad", payload=payload.format(chat=closed_chat.pk)))
    assert response.json() == {"stored": 0, "skipped": 1}
    assert Chat.objects.count() == 1
    assert Chat.objects.get(pk=closed_chat.pk).rating is None
    assert ratings_of(closed_chat) == 0


def test_a_rating_of_the_customers_open_chat_is_skipped_and_adds_no_message(deliver, queue):
    deliver(event(sender="PSID-3", mid="m_open"))
    chat = Chat.objects.get()

    response = deliver(tap(sender="PSID-3", mid="m_tap_open", payload=f"RATE:{chat.pk}:5"))

    assert response.json() == {"stored": 0, "skipped": 1}
    assert Chat.objects.get().rating is None
    assert chat.messages.filter(sender="client").count() == 1


def test_a_rating_payload_naming_an_internal_chat_is_skipped(deliver, queue, agent_factory):
    one, other = agent_factory(), agent_factory()
    internal = chat_start(channel="internal", initiator_id=one.pk, peer_id=other.pk)
    chat_close(chat_id=internal.pk, reason="agent", actor=one)

    response = deliver(tap(sender="PSID-1", mid="m_int", payload=f"RATE:{internal.pk}:5"))

    assert response.json() == {"stored": 0, "skipped": 1}
    assert Chat.objects.get(pk=internal.pk).rating is None
    assert not Chat.objects.filter(channel="messenger").exists()


def test_a_quick_reply_of_the_wrong_shape_is_skipped(deliver, queue):
    payload = event(sender="PSID-4", mid="m_shape")
    payload["entry"][0]["messaging"][0]["message"]["quick_reply"] = "RATE:1:4"
    assert deliver(payload).json() == {"stored": 0, "skipped": 1}
    assert not Chat.objects.exists()


def test_another_quick_reply_is_an_ordinary_message(deliver, queue):
    response = deliver(tap(sender="PSID-6", mid="m_menu", payload="MENU:ORDERS", text="My orders"))
    assert response.json() == {"stored": 1, "skipped": 0}
    assert Chat.objects.get().messages.get(sender="client").body == "My orders"


@pytest.mark.slow  # a live server (docs/testing.md)
@pytest.mark.django_db(transaction=True)
def test_the_tap_over_real_http_with_a_valid_signature(live_server, queue):
    chat = chat_start(channel="messenger", queue_id=queue.pk, visitor_messenger_id="PSID-9")
    chat_close(chat_id=chat.pk, reason="system")
    raw = json.dumps(tap(sender="PSID-9", mid="m_live", payload=f"RATE:{chat.pk}:3", text="3")).encode()

    def post(signature: str):
        request = urllib.request.Request(
            f"{live_server.url}/webhooks/messenger", data=raw, method="POST",
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    assert post("sha256=" + "0" * 64)[0] == 403  # a forged signature rates nothing
    assert Chat.objects.get(pk=chat.pk).rating is None

    assert post(sign(raw)) == (200, {"stored": 1, "skipped": 0})
    assert Chat.objects.get(pk=chat.pk).rating == 3
    assert Chat.objects.count() == 1

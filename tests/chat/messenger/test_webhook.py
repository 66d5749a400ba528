import threading

import pytest
from django.db import connection

from chat.messenger.signature import sign
from chat.models import Chat, Message
from chat.services.chats import chat_close
from tests import factories
from tests.chat.messenger.conftest import event


def test_handshake_echoes_the_challenge(client, settings, db):  # db: the throttle counts in the database cache
    settings.MESSENGER_VERIFY_TOKEN = "secret-verify"
    response = client.get(
        "/webhooks/messenger", {"hub.mode": "subscribe", "hub.verify_token": "secret-verify", "hub.challenge": "42xy"}
    )
    assert response.status_code == 200
    assert response.content == b"42xy"
    assert response["Content-Type"].startswith("text/plain")


def test_handshake_with_a_wrong_verify_token_is_403(client, settings, db):
    settings.MESSENGER_VERIFY_TOKEN = "secret-verify"
    response = client.get(
        "/webhooks/messenger", {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "42xy"}
    )
    assert response.status_code == 403
    assert b"42xy" not in response.content


def test_handshake_with_another_mode_is_403(client, settings, db):
    settings.MESSENGER_VERIFY_TOKEN = "secret-verify"
    response = client.get(
        "/webhooks/messenger", {"hub.mode": "unsubscribe", "hub.verify_token": "secret-verify", "hub.challenge": "1"}
    )
    assert response.status_code == 403


def test_a_forged_signature_is_refused_and_stores_nothing(deliver, queue):
    response = deliver(event(), signature=sign(b"something else"))
    assert response.status_code == 403
    assert not Chat.objects.exists()
    assert not Message.objects.exists()


def test_a_missing_signature_is_refused_and_stores_nothing(deliver, queue):
    assert deliver(event(), signature=None).status_code == 403
    assert not Message.objects.exists()


def test_a_signature_with_another_secret_is_refused(deliver, queue):
    raw = b'{"object": "page", "entry": []}'
    assert deliver(raw, signature=sign(raw, secret="not-the-app-secret")).status_code == 403


def test_malformed_json_with_a_good_signature_is_400(deliver, queue):
    assert deliver(b"{not json").status_code == 400


def test_an_incoming_message_starts_a_messenger_chat_in_the_default_queue(deliver, queue):
    assert deliver(event(sender="PSID-7", mid="m_a", text="Hi there")).status_code == 200
    chat = Chat.objects.get()
    assert (chat.channel, chat.visitor_messenger_id, chat.queue_id, chat.status) == (
        "messenger", "PSID-7", queue.pk, "waiting"
    )
    message = Message.objects.get(chat=chat, sender="client")
    assert (message.body, message.external_id) == ("Hi there", "m_a")


def test_a_message_longer_than_the_limit_is_kept_shortened_in_one_chat(deliver, queue):
    long_text = "x" * 12000

    assert deliver(event(sender="PSID-8", mid="m_long", text=long_text)).status_code == 200

    chat = Chat.objects.get()
    message = Message.objects.get(chat=chat, sender="client")
    assert message.body == "x" * 10000


def test_the_default_queue_is_chosen_by_name(deliver, queue, other_queue, settings):
    settings.MESSENGER_DEFAULT_QUEUE = other_queue.name
    deliver(event())
    assert Chat.objects.get().queue_id == other_queue.pk


def test_the_next_message_continues_the_open_chat(deliver, queue):
    deliver(event(mid="m_1", text="one"))
    deliver(event(mid="m_2", text="two"))
    chat = Chat.objects.get()
    assert list(chat.messages.filter(sender="client").values_list("body", flat=True)) == ["one", "two"]


def test_after_the_chat_closed_a_new_message_starts_a_new_chat(deliver, queue):
    deliver(event(mid="m_1"))
    chat_close(chat_id=Chat.objects.get().pk, reason="agent")
    deliver(event(mid="m_2"))
    assert Chat.objects.count() == 2
    assert Chat.objects.open().get().messages.get(sender="client").external_id == "m_2"


def test_the_same_event_delivered_twice_stores_one_message(deliver, queue):
    deliver(event(mid="m_dup"))
    deliver(event(mid="m_dup"))
    assert Message.objects.filter(external_id="m_dup").count() == 1
    assert Chat.objects.count() == 1


def test_a_redelivery_after_the_chat_closed_stores_nothing_new(deliver, queue):
    deliver(event(mid="m_old"))
    chat_close(chat_id=Chat.objects.get().pk, reason="agent")
    deliver(event(mid="m_old"))
    assert Chat.objects.count() == 1
    assert Message.objects.filter(sender="client").count() == 1


def test_the_chat_is_linked_to_the_customer_with_that_messenger_id(deliver, queue):
    customer = factories.CustomerFactory(messenger_id="PSID-9")
    deliver(event(sender="PSID-9"))
    assert Chat.objects.get().customer_id == customer.pk


def test_echoes_and_read_receipts_are_ignored(deliver, queue):
    payload = event()
    payload["entry"][0]["messaging"] = [
        {"sender": {"id": "PAGE"}, "recipient": {"id": "PSID-1"}, "message": {"mid": "m_e", "text": "x",
                                                                              "is_echo": True}},
        {"sender": {"id": "PSID-1"}, "recipient": {"id": "PAGE"}, "read": {"watermark": 1}},
    ]
    assert deliver(payload).status_code == 200
    assert not Message.objects.exists()


def run_at_once(count, fn):
    barrier = threading.Barrier(count)
    results: list = []

    def worker(n):
        try:
            barrier.wait(timeout=10)
            results.append(fn(n))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_the_same_event_delivered_concurrently_stores_one_message(deliver, queue):
    statuses = run_at_once(4, lambda n: deliver(event(mid="m_race")).status_code)
    assert statuses == [200] * 4
    assert Message.objects.filter(external_id="m_race").count() == 1
    assert Chat.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_burst_from_one_sender_opens_one_chat(deliver, queue):
    statuses = run_at_once(5, lambda n: deliver(event(sender="PSID-burst", mid=f"m_burst_{n}")).status_code)
    assert statuses == [200] * 5
    assert Chat.objects.filter(visitor_messenger_id="PSID-burst").count() == 1
    assert Message.objects.filter(sender="client").count() == 5


@pytest.mark.django_db(transaction=True)
def test_events_delivered_out_of_order_and_again_store_each_message_once(deliver, queue):
    for mid in ["m_3", "m_1", "m_2", "m_1", "m_3"]:
        deliver(event(mid=mid, text=mid))
    assert sorted(Message.objects.values_list("external_id", flat=True)) == ["m_1", "m_2", "m_3"]

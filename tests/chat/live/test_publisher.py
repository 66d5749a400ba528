"""The process's live publisher (chat/services/live/publisher.py): a server's or a worker's events leave from a
thread of their own, in the order they were committed, and one that fails does not stop the next."""

from __future__ import annotations

import threading

from chat.services.live import LiveEvent
from chat.services.live.publisher import LivePublisher


def test_events_are_sent_in_order_from_the_publishers_thread():
    publisher = LivePublisher()
    publisher.enable()
    sent = []
    for chat_id in range(50):
        publisher.submit(lambda event: sent.append((threading.current_thread().name, event.chat_id)),
                         LiveEvent(kind="chat.message", chat_id=chat_id))
    publisher.drain(timeout=5)
    assert [chat_id for _thread, chat_id in sent] == list(range(50))
    assert {thread for thread, _chat_id in sent} == {"live-publisher"}


def test_a_send_that_fails_is_logged_and_the_next_one_goes_out(caplog):
    publisher = LivePublisher()
    publisher.enable()
    sent = []

    def send(event):
        if event.chat_id == 1:
            raise ConnectionError("Redis is down")
        sent.append(event.chat_id)

    for chat_id in (1, 2):
        publisher.submit(send, LiveEvent(kind="chat.message", chat_id=chat_id))
    publisher.drain(timeout=5)
    assert sent == [2]
    assert "live event chat.message of chat 1 not published" in caplog.text

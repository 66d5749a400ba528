"""Celery tasks of the Messenger channel (imported by ``chat.tasks`` so that autodiscovery finds it).

Each only calls its service. Neither retries by itself: a reply's retries are rows of the outbox
(``delivery_next_attempt_at``), not a countdown kept in a worker's memory (chat/messenger/outbox.py).
"""

from __future__ import annotations

from celery import shared_task

from chat.messenger.outbox import messenger_message_deliver
from chat.messenger.services import messenger_queue_place_send


@shared_task(acks_late=True, ignore_result=True)
def messenger_send_reply(message_id: int) -> str:
    """One delivery attempt of an agent's reply; a task delivered twice finds nothing to claim."""
    return messenger_message_deliver(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_messenger_outbox() -> int:
    """The outbox's safety net: replies nobody queued are queued, replies of a dead worker become unknown."""
    from chat.services.rules import rule_run  # noqa: PLC0415  (the sweep joins RULES in ChatConfig.ready)

    return rule_run("messenger_outbox")


@shared_task(acks_late=True, ignore_result=True)
def messenger_send_queue_place(chat_id: int) -> None:
    """Tell a new Messenger chat's customer his place in the queue (once per chat: the service's guard)."""
    messenger_queue_place_send(chat_id=chat_id)

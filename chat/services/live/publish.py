"""Who is told of a change, said once per kind: the services call these inside their transaction and the event
leaves after the commit (:func:`.events.live_publish_on_commit`).

``agents``: the agents whose own lists change (the chat's agent before and after, the other side of an internal
chat, the customer's owner while the chat waits, the agent whose presence changed). ``queues``: the queues whose
waiting list changes. ``None`` in either is dropped, so callers may pass what they have.
"""

from __future__ import annotations

from collections.abc import Iterable

from crm.models import Customer

from .events import LiveEvent, live_publish_on_commit


def _ids(values: Iterable[int | None]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(int(value) for value in values if value is not None))


def live_chat(
    kind: str, *, chat_id: int, agents: Iterable[int | None] = (), queues: Iterable[int | None] = (), **data
) -> None:
    """A change of one chat (``chat.queued``, ``chat.assigned``, ``chat.transferred``, ``chat.closed``,
    ``chat.changed``)."""
    live_publish_on_commit(
        LiveEvent(kind=kind, chat_id=int(chat_id), agent_ids=_ids(agents), queue_ids=_ids(queues), data=data)
    )


def live_message(*, chat_id: int, message_id: int, sender: str, agents: Iterable[int | None] = ()) -> None:
    """A message stored in a chat (the client's, an agent's, a system message, the welcome). ``sender`` lets the
    visitor's widget skip the nudge of his own message, which it shows already."""
    live_chat("chat.message", chat_id=chat_id, agents=agents, message_id=int(message_id), sender=str(sender))


def live_presence(*, agent_id: int) -> None:
    """The agent's presence changed (logged in or out, paused, resumed, a phone call)."""
    live_publish_on_commit(LiveEvent(kind="presence.changed", agent_ids=(int(agent_id),)))


def live_queue_member(*, queue_id: int, agent_id: int) -> None:
    """The agent joined or left the queue (or his priority there changed): his waiting list changes."""
    live_publish_on_commit(LiveEvent(kind="queue.changed", agent_ids=(int(agent_id),), queue_ids=(int(queue_id),)))


def live_settings() -> None:
    """The card, the pause types or a queue's name or state changed: any page may show something new."""
    live_publish_on_commit(LiveEvent(kind="settings.changed"))


def owner_of(customer_id: int | None) -> int | None:
    """The owner of the chat's customer (one query; None without a customer or an owner)."""
    if customer_id is None:
        return None
    return Customer.objects.filter(pk=customer_id).values_list("owner_id", flat=True).first()

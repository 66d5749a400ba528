"""Handing an event to the channel layer: the groups it goes to, and the message every consumer receives.

Groups: ``chat.<id>`` (pages showing that chat: the visitor's widget, agents who opened it), ``agent.<id>``
(the agent's own lists and presence), ``queue.<id>`` (the waiting list of the queue's members), ``staff``
(every event: staff see every chat), ``inbox`` (every inbox page: a settings change) and ``visitor.queue.<id>``
(the widgets of the chats waiting in that queue: a change of its waiting list moves their places). A page that is in
several of them gets the event several times and keeps the first (the message's ``id``). What a listener may
see is decided by its consumer (chat/live/consumers.py), never here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .event import LiveEvent

logger = logging.getLogger(__name__)

STAFF_GROUP = "staff"
EVERYONE_GROUP = "inbox"  # every inbox page: for what changes every page (the card, pause types, queues)
EVERYONE_KINDS = frozenset({"settings.changed"})
MESSAGE_TYPE = "live.event"  # the consumers' handler: live_event()
# The kinds that change a queue's waiting list when they name the queue (``queue_ids``): a chat joined it, left it
# (assigned, transferred away, closed while waiting) or moved in it (automatic assignment stopped, a VIP verified).
# The waiting visitors of the queue hear of them once per change, in one group (docs/live.md, "The visitor's place").
QUEUE_MOVING_KINDS = frozenset({"chat.queued", "chat.assigned", "chat.transferred", "chat.closed", "chat.changed"})


def chat_group(chat_id: int) -> str:
    return f"chat.{chat_id}"


def agent_group(agent_id: int) -> str:
    return f"agent.{agent_id}"


def queue_group(queue_id: int) -> str:
    return f"queue.{queue_id}"


def visitor_queue_group(queue_id: int) -> str:
    return f"visitor.queue.{queue_id}"


def event_groups(event: LiveEvent) -> list[str]:
    if event.kind in EVERYONE_KINDS:
        return [EVERYONE_GROUP]
    groups = [STAFF_GROUP]
    if event.chat_id is not None:
        groups.append(chat_group(event.chat_id))
    groups += [agent_group(agent_id) for agent_id in dict.fromkeys(event.agent_ids)]
    groups += [queue_group(queue_id) for queue_id in dict.fromkeys(event.queue_ids)]
    if event.kind in QUEUE_MOVING_KINDS:
        groups += [visitor_queue_group(queue_id) for queue_id in dict.fromkeys(event.queue_ids)]
    return groups


def event_message(event: LiveEvent) -> dict:
    return {
        "type": MESSAGE_TYPE,
        "id": uuid.uuid4().hex,
        "kind": event.kind,
        "chat": event.chat_id,
        "agents": list(event.agent_ids),
        "queues": list(event.queue_ids),
        "data": dict(event.data),
    }


async def abroadcast_send(event: LiveEvent) -> None:
    """Send ``event`` to its groups from async code (a consumer: typing)."""
    layer = get_channel_layer()
    if layer is None:
        return
    message = event_message(event)
    await asyncio.gather(*(layer.group_send(group, message) for group in event_groups(event)))


def broadcast_send(event: LiveEvent) -> None:
    """Send ``event`` to its groups from sync code (a service, after commit; any process).

    A layer that cannot be reached loses the push, never the change: the error is logged and the pages
    catch up by their fallback poll or when they reconnect (docs/live.md)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _send_logged(event)  # the usual case: a sync view's thread, a Celery task, a command
        return
    # Sync code called in a thread whose event loop is running (async_to_sync refuses to block it): send from a
    # thread of its own and wait for it, so the caller still returns after the send.
    sender = threading.Thread(target=_send_logged, args=(event,), name="live-broadcast")
    sender.start()
    sender.join(timeout=10)


def broadcast_send_here(event: LiveEvent) -> None:
    """Send ``event`` on this thread's own event loop, kept between events (the live publisher's thread:
    publisher.py), so the layer's connection is opened once per process."""
    asyncio.get_event_loop().run_until_complete(abroadcast_send(event))


def _send_logged(event: LiveEvent) -> None:
    try:
        async_to_sync(abroadcast_send)(event)
    except Exception:
        logger.exception("live event %s of chat %s not published", event.kind, event.chat_id)

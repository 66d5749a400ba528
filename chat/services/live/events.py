"""One event per state change, published after commit."""

from __future__ import annotations

import logging

from channels.layers import InMemoryChannelLayer, get_channel_layer

from core.hooks import Hook
from core.services import on_commit_robust

from .broadcast import broadcast_send, broadcast_send_here
from .event import LiveEvent
from .publisher import publisher
from .versions import versions_bump

# Called with ``event`` once it was handed on (to the live publisher, or sent): tests listen here, and so may any
# part of chat that follows events in the same process.
live_published = Hook("chat.live_published")
logger = logging.getLogger(__name__)


def live_publish(event: LiveEvent) -> None:
    """Tell every process (call it after the commit: :func:`live_publish_on_commit`). The process's live
    publisher bumps the versions and sends the event in the background in a server or a worker (publisher.py);
    elsewhere, here and now."""
    if _in_background():
        publisher.submit(_bump_and_send_here, event)
    else:
        _bump(event)
        broadcast_send(event)  # typing bumps nothing (versions.UNVERSIONED), but is sent
    live_published(event=event)


def _bump(event: LiveEvent) -> None:
    try:
        versions_bump(event)  # first: a page nudged by the push below already finds the new versions
    except Exception:  # the cache is down: the polls find no counters and take their full path
        logger.exception("versions of live event %s of chat %s not bumped", event.kind, event.chat_id)


def _bump_and_send_here(event: LiveEvent) -> None:
    """In the live publisher's thread: the versions first, then the push, on the thread's own event loop."""
    _bump(event)
    broadcast_send_here(event)


def _in_background() -> bool:
    return publisher.enabled and not isinstance(get_channel_layer(), InMemoryChannelLayer)


def live_publish_on_commit(event: LiveEvent) -> None:
    """Publish ``event`` once the current transaction commits (at once outside one); never on a rollback.
    ``robust``: a failing publish (the channel layer down) is logged and loses only the push, never the change:
    the fallback polls and a reconnect's resync still show it."""
    on_commit_robust(live_publish, event)

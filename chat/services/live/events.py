"""One event per state change, published after commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from core.hooks import Hook

from .broadcast import broadcast_send
from .event import LiveEvent
from .versions import versions_bump

# Called with ``event`` once it was published (its versions bumped): tests listen here, and so may any part of
# chat that follows events in the same process.
live_published = Hook("chat.live_published")


def live_publish(event: LiveEvent) -> None:
    """Tell every process now (call it after the commit: :func:`live_publish_on_commit`)."""
    versions_bump(event)  # first: a page nudged by the push below already finds the new versions
    broadcast_send(event)  # typing bumps nothing (versions.UNVERSIONED), but is sent
    live_published(event=event)


def live_publish_on_commit(event: LiveEvent) -> None:
    """Publish ``event`` once the current transaction commits (at once outside one); never on a rollback.
    ``robust``: a failing publish (the channel layer down) is logged and loses only the push, never the change:
    the fallback polls and a reconnect's resync still show it."""
    transaction.on_commit(partial(live_publish, event), robust=True)

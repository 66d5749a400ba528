"""One event per state change, published after commit."""

from __future__ import annotations

from functools import partial

from django.db import transaction

from .broadcast import broadcast_send
from .event import LiveEvent


def live_publish(event: LiveEvent) -> None:
    """Tell every process now (call it after the commit: :func:`live_publish_on_commit`)."""
    broadcast_send(event)


def live_publish_on_commit(event: LiveEvent) -> None:
    """Publish ``event`` once the current transaction commits (at once outside one); never on a rollback.
    ``robust``: a failing publish (the channel layer down) is logged and loses only the push, never the change:
    the fallback polls and a reconnect's resync still show it."""
    transaction.on_commit(partial(live_publish, event), robust=True)

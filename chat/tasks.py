"""Celery tasks: thin wrappers that take ids and call one service."""

from __future__ import annotations

from celery import shared_task


@shared_task(ignore_result=True)
def dispatch_task() -> int:
    """Give waiting chats to eligible agents (queued by ``dispatch_soon`` after commit, and the sweep)."""
    from chat.services.dispatch import dispatch

    return dispatch()

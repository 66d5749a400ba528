"""The process's live publisher: one thread, one event loop, one connection to the channel layer (docs/live.md).

A service's commit hands its events to this thread and goes on: the request, the Celery task or the dispatch that
committed never waits for Redis. The thread bumps the events' version counters, then sends them to their groups,
in the order they were committed, on an event loop it keeps (so the layer's connection is opened once per
process, not once per event: about 3 ms each before). Started at the first event of each process (a forked
Celery worker starts its own); at the interpreter's exit it is given a moment to send what is still queued
(a management command that publishes and ends).

Long-running processes turn it on (:meth:`LivePublisher.enable`): the ASGI application (config/asgi.py) and the
Celery workers (config/celery.py). Elsewhere — a management command, a shell, the tests — the caller publishes
itself, as it returns only after the event left: a process that publishes and ends loses nothing. The
one-process layer of the tests (``memory://``) is not thread-safe across event loops, so it is always published
by the caller.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
import queue
import threading
import time
from collections.abc import Callable

from .event import LiveEvent

logger = logging.getLogger(__name__)

DRAIN_SECONDS = 2.0  # how long the interpreter's exit waits for events still queued


class LivePublisher:
    def __init__(self) -> None:
        self.enabled = False
        self.events: queue.Queue[tuple[Callable[[LiveEvent], None], LiveEvent] | None] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.pid: int | None = None
        self.lock = threading.Lock()

    def enable(self) -> None:
        """This process publishes in the background from now on (a server or a worker)."""
        self.enabled = True

    def submit(self, send: Callable[[LiveEvent], None], event: LiveEvent) -> None:
        """Queue ``send(event)`` for the thread (started here if this process has none yet)."""
        if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
            with self.lock:
                if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
                    self.events = queue.Queue()  # a forked child does not inherit its parent's queue
                    self.pid = os.getpid()
                    self.thread = threading.Thread(target=self._run, name="live-publisher", daemon=True)
                    self.thread.start()
        self.events.put((send, event))

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        while True:
            item = self.events.get()
            try:
                if item is None:
                    return
                send, event = item
                try:
                    send(event)
                except Exception:
                    logger.exception("live event %s of chat %s not published", event.kind, event.chat_id)
            finally:
                self.events.task_done()

    def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Wait (at most ``timeout`` s) until every queued event was sent: at exit, and in tests."""
        if self.thread is None or self.pid != os.getpid() or not self.thread.is_alive():
            return
        deadline = time.monotonic() + timeout
        while self.events.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


publisher = LivePublisher()
atexit.register(publisher.drain)

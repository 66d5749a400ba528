"""The live layer's service side: what changed, said once after commit (docs/live.md).

Services never talk to sockets. Each state change calls :func:`live_publish_on_commit` with a small
:class:`LiveEvent` (ids only); after the commit it bumps the version counters that the fallback polls read
(:mod:`.versions`) and hands the event to the channel layer (:mod:`.broadcast`), from whichever process made
the change: web, Celery worker or beat.
"""

from .event import LiveEvent
from .events import live_publish, live_publish_on_commit

__all__ = ["LiveEvent", "live_publish", "live_publish_on_commit"]

"""Version counters: one per agent, per chat and per queue (and one for everyone), in Django's cache.

Every published event (but typing) bumps the counters of what it names, after the commit
(:func:`versions_bump`, called by ``live_publish``). A page remembers the versions it was rendered at; its
fallback poll reads them again (:func:`versions_peek`, one ``get_many``) and answers "nothing new" when none
moved, without rendering a template or running an ORM query (docs/decisions.md, "Cheap polls").

Why it is safe: a counter moves only after the change that moves it has committed, and a poll that renders
reads the counters *before* it queries the database. So whatever a render missed was committed after that
read, and its bump comes later still: the next poll sees the counter differ. A counter that is missing
(never set, expired, evicted) starts again at a random value, so it cannot come back to a number a page
holds and hide a change. Redis' INCR is atomic; the database cache's read-then-write is not, which leaves
the embedded default a theoretical window (a stalled bump overwriting a newer one) that the next change
closes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache

if TYPE_CHECKING:
    from .events import LiveEvent

PREFIX = "live:v:"
# A counter lives a day after it was first set; a missing one only costs one full poll.
TIMEOUT = 24 * 3600
# Bumped by every event: "settings.changed" (the card, pause types, queues) moves it.
EVERYONE = "g"
# Events that change nothing a page shows on its own (typing is never stored, never versioned).
UNVERSIONED = frozenset({"typing"})


def chat_key(chat_id: int) -> str:
    return f"c{int(chat_id)}"


def agent_key(agent_id: int) -> str:
    return f"a{int(agent_id)}"


def queue_key(queue_id: int) -> str:
    return f"q{int(queue_id)}"


def event_keys(event: LiveEvent) -> list[str]:
    """The counters ``event`` moves: its chat's, each named agent's and queue's, and everyone's for a settings
    change."""
    if event.kind in UNVERSIONED:
        return []
    keys = [chat_key(event.chat_id)] if event.chat_id is not None else []
    keys += [agent_key(agent_id) for agent_id in event.agent_ids]
    keys += [queue_key(queue_id) for queue_id in event.queue_ids]
    if event.kind == "settings.changed":
        keys.append(EVERYONE)
    return list(dict.fromkeys(keys))


def _fresh() -> int:
    return secrets.randbits(40)


def _bump(key: str) -> None:
    full = PREFIX + key
    try:
        cache.incr(full)
        return
    except ValueError:  # missing: start it (another process may have started it meanwhile)
        pass
    if not cache.add(full, _fresh(), TIMEOUT):
        try:
            cache.incr(full)
        except ValueError:  # expired in between: start it again
            cache.set(full, _fresh(), TIMEOUT)


def versions_bump(event: LiveEvent) -> None:
    """Move the counters of what ``event`` names (after the commit of the change it reports). On Redis in one
    round trip (a pipeline of INCRs; Django's ``incr`` costs two per key); elsewhere key by key."""
    keys = event_keys(event)
    if not keys:
        return
    if isinstance(cache, RedisCache):
        _bump_redis(keys)
        return
    for key in keys:
        _bump(key)


def _bump_redis(keys: list[str]) -> None:
    """INCR each key; one that INCR created (it answers 1) starts again at a random value with its lifetime.
    Django's Redis serializer stores integers as they are, so ``get_many`` reads these counters."""
    names = [cache.make_and_validate_key(PREFIX + key) for key in keys]
    client = cache._cache.get_client(names[0], write=True)
    pipe = client.pipeline(transaction=False)
    for name in names:
        pipe.incr(name)
    started = [name for name, value in zip(names, pipe.execute(), strict=True) if value == 1]
    if started:
        pipe = client.pipeline(transaction=False)
        for name in started:
            pipe.set(name, _fresh(), ex=TIMEOUT)
        pipe.execute()


def versions_peek(keys: Iterable[str]) -> dict[str, int | None]:
    """The counters as they are, in one cache read (None for a missing one): what a poll compares."""
    keys = list(keys)
    found = cache.get_many([PREFIX + key for key in keys])
    return {key: found.get(PREFIX + key) for key in keys}


def versions_get(keys: Iterable[str]) -> dict[str, int]:
    """The counters a page is rendered at (read them before querying what it shows); a missing one is started."""
    current = versions_peek(keys)
    for key, value in current.items():
        if value is None:
            value = _fresh()
            if not cache.add(PREFIX + key, value, TIMEOUT):
                value = cache.get(PREFIX + key, value)
            current[key] = value
    return current

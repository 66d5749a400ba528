"""The inbox's cheap polls: a page carries the versions it was rendered at; its poll answers 204 when none moved,
before anything reads the user, renders a template or runs an ORM query (docs/decisions.md, "Cheap polls").

The versions travel signed (``t`` in the poll's URL: the user's id and each counter the page follows, with an
HMAC of SECRET_KEY), so a poll cannot ask about counters its page was not rendered with. The "nothing new" path
reads the session (a cache read with the ``cached_db`` engine), checks that its user id is the token's, and
compares the counters (one ``get_many``); anything else — no token, a bad signature, another user, a counter
that moved or is missing — takes the full path, which checks everything as before.
"""

from __future__ import annotations

import time
from datetime import datetime

from django.contrib.auth import SESSION_KEY
from django.core.signing import BadSignature, Signer

from chat.selectors import queue_ids_of
from chat.services.live.versions import EVERYONE, agent_key, chat_key, queue_key, versions_get, versions_peek

SIGNER = Signer(salt="parley.inbox.poll")


def _token(user_id: int, versions: dict[str, int], *, until: int = 0) -> str:
    pairs = "~".join(f"{key}.{value}" for key, value in versions.items())
    return SIGNER.sign(f"{user_id}|{until}|{pairs}")


def sidebar_versions(*, user) -> dict[str, int]:
    """What the sidebar follows: the agent's own counter (his chats, internal chats, unread counts, presence,
    memberships), each of his queues' (their waiting lists) and everyone's (the card, pause types, queues).
    Read before the sidebar's queries."""
    queue_ids = sorted(queue_ids_of(user=user).values_list("queue_id", flat=True))
    return versions_get([agent_key(user.pk), EVERYONE, *(queue_key(q) for q in queue_ids)])


def sidebar_token(*, user, versions: dict[str, int], waiting_since: list[datetime]) -> str:
    """The sidebar's token: its versions, and the moment its first "waiting …" text goes stale (the page shows
    how long each chat waits: "45 s", "12 min", "1 h 35 min", "3 d 4 h"), after which its poll renders again."""
    now = time.time()
    until = min((_next_text_change(since.timestamp(), now) for since in waiting_since), default=0)
    return _token(user.pk, versions, until=int(until))


def _next_text_change(since: float, now: float) -> float:
    """When ``presentation.waited`` of ``since`` shows something else than now: the next second under a minute,
    the next minute under a day, the next hour after."""
    waited = max(0.0, now - since)
    step = 1 if waited < 60 else 60 if waited < 86400 else 3600
    return since + (int(waited // step) + 1) * step


# A waiting chat's page tells why it waits (``chat.selectors.chat_waiting_reason``), which other agents' presence
# changes without moving the chat's counter: its poll takes the full path at least this often (seconds).
WAITING_RECHECK = 10


def chat_versions(*, chat_id: int) -> dict[str, int]:
    """What the open chat follows: the chat's counter. Read before the chat's queries."""
    return versions_get([chat_key(chat_id)])


def chat_token(*, user, chat_id: int, versions: dict[str, int] | None = None, waiting: bool = False) -> str:
    """The open chat's token: its versions (``chat_versions``, read before the chat's queries), and for a waiting
    chat the end of the current ``WAITING_RECHECK`` window, after which its poll checks the chat again (the same
    token throughout a window, so polls within it still answer 204)."""
    versions = versions if versions is not None else chat_versions(chat_id=chat_id)
    until = (int(time.time()) // WAITING_RECHECK + 1) * WAITING_RECHECK if waiting else 0
    return _token(user.pk, versions, until=until)


def poll_unchanged(request) -> bool:
    """True when the poll's token (``t``) is signed, belongs to the session's user, and none of its counters
    moved. Reads the session and the cache only; never ``request.user`` (that would load the user row)."""
    token = request.GET.get("t")
    if not token:
        return False
    try:
        payload = SIGNER.unsign(token)
    except BadSignature:
        return False
    user_id, until, pairs = (payload.split("|", 2) + ["", ""])[:3]
    if str(request.session.get(SESSION_KEY, "")) != user_id or not pairs:
        return False
    if until and until != "0" and time.time() >= int(until):
        return False
    wanted = dict(pair.rsplit(".", 1) for pair in pairs.split("~"))
    current = versions_peek(wanted)
    return all(current[key] is not None and str(current[key]) == value for key, value in wanted.items())

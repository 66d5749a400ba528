"""The widget's cheap poll: a message GET that finds nothing answers ``[]`` from the cache alone.

The widget sends the chat version its last answer carried (``v``, from the ``X-Parley-Version`` header). One
``get_many`` reads the cache's copy of the chat's token hash (``chat.services.visitors``) and the chat's
version; when the token matches and the version did not move, nothing was posted, changed or closed since,
and the answer is ``[]`` with the same version — before DRF, the throttles or any query
(docs/decisions.md, "Cheap polls"). Otherwise (no ``v``, no cached hash, another token, a moved version) the
request takes the full, throttled path.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpResponse

from chat.services.live.versions import PREFIX, chat_key
from chat.services.visitors import visitor_chat_id_cached, visitor_token_cache_key

VERSION_HEADER = "X-Parley-Version"
TOKEN_HEADER = "X-Visitor-Token"


def widget_poll_unchanged(request, *, chat_id: int) -> HttpResponse | None:
    version = request.GET.get("v")
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not version or not token:
        return None
    token_key, version_key = visitor_token_cache_key(chat_id), PREFIX + chat_key(chat_id)
    found = cache.get_many([token_key, version_key])
    if str(found.get(version_key)) != version or not visitor_chat_id_cached(
        chat_id=chat_id, token=token, cached_hash=found.get(token_key)
    ):
        return None
    response = HttpResponse(b"[]", content_type="application/json")
    response[VERSION_HEADER] = version
    return response

"""The widget's cheap poll: a message GET that finds nothing answers ``[]`` from the cache alone.

The widget sends the chat version its last answer carried (``v``, from the ``X-Parley-Version`` header). One
``get_many`` reads the cache's copy of the chat's token hash (``chat.services.visitors``) and the chat's
version; when the token matches and the version did not move, nothing was posted, changed or closed since,
and the answer is ``[]`` with the same version — before DRF, the throttles or any query
(docs/decisions.md, "Cheap polls"). Otherwise (no ``v``, no cached hash, another token, a moved version) the
request takes the full, throttled path.

While the chat waits, its place moves with its queue, which moves no counter of the chat's: the version is then
``<chat's version>.<queue id>.<queue's version>`` (:func:`widget_poll_version`) and the cheap answer needs both
counters unmoved. A moved queue counter takes the full path, whose new version tells the widget to ask for the
chat again, with its place (``WidgetChatOutput.queue_place``).
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpResponse

from chat.models import Chat
from chat.services.live.versions import PREFIX, chat_key, queue_key, versions_get
from chat.services.visitors import visitor_chat_id_cached, visitor_token_cache_key

VERSION_HEADER = "X-Parley-Version"
TOKEN_HEADER = "X-Visitor-Token"


def widget_poll_version(*, chat_id: int) -> str:
    """The version a full poll answers with, read before its query: the chat's counter and, while the chat waits,
    its queue's (``chat.queue.version``): one more query, to know the queue."""
    waiting_in = Chat.objects.filter(pk=chat_id, status=Chat.Status.WAITING).values_list("queue_id", flat=True).first()
    keys = [chat_key(chat_id)] + ([queue_key(waiting_in)] if waiting_in is not None else [])
    versions = versions_get(keys)
    if waiting_in is None:
        return str(versions[keys[0]])
    return f"{versions[keys[0]]}.{waiting_in}.{versions[keys[1]]}"


def widget_poll_unchanged(request, *, chat_id: int) -> HttpResponse | None:
    version = request.GET.get("v")
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not version or not token:
        return None
    chat_version, _dot, queue_part = version.partition(".")
    queue_id, _dot, queue_version = queue_part.partition(".")
    if queue_part and not (queue_id.isdigit() and queue_version):
        return None
    token_key, version_key = visitor_token_cache_key(chat_id), PREFIX + chat_key(chat_id)
    keys = [token_key, version_key] + ([PREFIX + queue_key(int(queue_id))] if queue_part else [])
    found = cache.get_many(keys)
    if str(found.get(version_key)) != chat_version or not visitor_chat_id_cached(
        chat_id=chat_id, token=token, cached_hash=found.get(token_key)
    ):
        return None
    if queue_part and str(found.get(keys[2])) != queue_version:
        return None
    response = HttpResponse(b"[]", content_type="application/json")
    response[VERSION_HEADER] = version
    return response

"""What the chat services share: the chat's row lock, their common refusals, a queue looked up."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from chat.models import Chat, Queue

from ..errors import ChatError


def lock_chat(chat_id, *, field: str = "chat") -> Chat:
    """The chat row, locked until the end of the transaction (waits for other writers)."""
    try:
        return Chat.objects.select_for_update(of=("self",)).get(pk=int(chat_id))
    except (Chat.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such chat."), field=field, code="not_found")


def closed_error() -> ChatError:
    return ChatError(_("This chat is already closed."), code="closed")


def check_customer_chat(chat: Chat) -> None:
    """Only an open customer chat is routed (assigned, transferred, requeued)."""
    if chat.status == Chat.Status.CLOSED:
        raise closed_error()
    if chat.channel == Chat.Channel.INTERNAL:
        raise ChatError(_("Internal chats are not routed."), field="chat", code="internal")


def resolve_queue(queue_id) -> Queue:
    """The active queue ``queue_id``; without one, the active queue with the lowest id."""
    if queue_id in (None, ""):
        queue = Queue.objects.filter(active=True).order_by("id").first()
        if queue is None:
            raise ChatError(_("There is no active queue to put the chat in."), field="queue", code="no_queue")
        return queue
    try:
        return Queue.objects.get(pk=int(queue_id), active=True)
    except (Queue.DoesNotExist, TypeError, ValueError):
        raise ChatError(_("There is no such queue."), field="queue", code="unknown_queue")

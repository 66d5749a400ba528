"""What chat does when an agent's presence changes (the agents app's hooks, registered in
``chat.apps.ChatConfig.ready``): the agents app knows nothing of chats."""

from __future__ import annotations

from agents.models import User
from chat.models import Chat

from .chats import REQUEUE_LOGGED_OUT, chat_requeue
from .errors import ChatError


def chats_requeue_for_logout(*, agent_id: int, actor: User | None = None) -> int:
    """After an agent's log-out committed: every customer chat still assigned to him goes back to the head of
    its queue, each in its own transaction (chat lock, then his Presence row: the global lock order), recording
    TRANSFERRED with reason "agent_logged_out", and is dispatched to others. Internal chats stay. Returns how
    many went back."""
    open_ids = list(
        Chat.objects.filter(agent_id=agent_id, status=Chat.Status.ASSIGNED)
        .exclude(channel=Chat.Channel.INTERNAL)
        .order_by("id")
        .values_list("id", flat=True)
    )
    requeued = 0
    for chat_id in open_ids:
        try:
            chat_requeue(chat_id=chat_id, reason=REQUEUE_LOGGED_OUT, actor=actor, agent_id=agent_id)
        except ChatError:
            continue  # closed or moved meanwhile: nothing left to free
        requeued += 1
    return requeued

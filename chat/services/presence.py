"""What chat does when an agent's presence changes (the agents app's hooks, registered in
``chat.apps.ChatConfig.ready``): the agents app knows nothing of chats."""

from __future__ import annotations

from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from agents.models import Presence, User
from chat.models import Chat
from chat.models.conditions import HOLDS_SLOT

from .chats import REQUEUE_LOGGED_OUT, chat_requeue
from .errors import ChatError


def chats_requeue_for_logout(
    *, agent_id: int, actor: User | None = None, reason: str = REQUEUE_LOGGED_OUT
) -> int:
    """After an agent's log-out committed: every customer chat still assigned to him goes back to the head of
    its queue, each in its own transaction (chat lock, then his Presence row: the global lock order), recording
    TRANSFERRED with ``reason`` ("agent_logged_out"; "no_inbox" when the rule "presence follows the open inbox"
    paused him), and is dispatched to others. Internal chats stay. Returns how many went back."""
    open_ids = list(
        Chat.objects.filter(HOLDS_SLOT.q(), agent_id=agent_id)
        .order_by("id")
        .values_list("id", flat=True)
    )
    requeued = 0
    for chat_id in open_ids:
        try:
            chat_requeue(chat_id=chat_id, reason=reason, actor=actor, agent_id=agent_id)
        except ChatError:
            continue  # closed or moved meanwhile: nothing left to free
        requeued += 1
    return requeued


def presence_recount(*, agent_id=None) -> int:
    """Repair tool: set ``open_chats`` to the real count of the chats that hold a slot (``HOLDS_SLOT``). Returns
    rows fixed. It lives in chat, not agents: the counter is the agents' row, the slots are chats."""
    real = (
        Chat.objects.filter(HOLDS_SLOT.q(), agent_id=OuterRef("agent_id"))
        .order_by()
        .values("agent_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    qs = Presence.objects.annotate(real=Coalesce(Subquery(real), 0)).filter(~Q(open_chats=F("real")))
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    fixed = 0
    for presence in qs:
        # Conditional: a chat assigned or closed meanwhile changed the counter; leave that row for the next run
        # rather than write a count that is already stale (too low would let the agent over the maximum).
        unchanged = Presence.objects.filter(pk=presence.pk, open_chats=presence.open_chats)
        fixed += unchanged.update(open_chats=presence.real)
    return fixed

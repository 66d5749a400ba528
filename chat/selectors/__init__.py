"""Read-only queries used by views, the API, the live sockets and the inbox (no side effects), one module per
concern; import them from here (``from chat.selectors import chats_visible_to``)."""

from .access import (
    CUSTOMER_CHANNELS,
    canned_for_chat,
    canned_visible_to,
    chats_assignable_by,
    chats_visible_to,
    customers_visible_to,
    live_chat_visible,
    live_listener_get,
    live_queue_ids,
    queue_ids_of,
)
from .places import (
    WAIT_ESTIMATE_WINDOW,
    QueuePlace,
    chat_order_codes,
    chat_queue_place,
    ordinal,
    queue_assignments_recent,
    queue_assignments_recent_by_queue,
    queue_place_text,
    queue_positions,
    queue_wait_estimate,
)
from .timeline import TimelineEntry, chat_timeline
from .waiting import (
    WaitingReason,
    chat_self_assign_refusal,
    chat_transfer_note,
    chat_waiting_reason,
    dispositions_active,
    waiting_reasons,
)

__all__ = [
    "CUSTOMER_CHANNELS",
    "WAIT_ESTIMATE_WINDOW",
    "QueuePlace",
    "TimelineEntry",
    "WaitingReason",
    "canned_for_chat",
    "canned_visible_to",
    "chat_order_codes",
    "chat_queue_place",
    "chat_self_assign_refusal",
    "chat_timeline",
    "chat_transfer_note",
    "chat_waiting_reason",
    "chats_assignable_by",
    "chats_visible_to",
    "customers_visible_to",
    "dispositions_active",
    "live_chat_visible",
    "live_listener_get",
    "live_queue_ids",
    "ordinal",
    "queue_assignments_recent",
    "queue_assignments_recent_by_queue",
    "queue_ids_of",
    "queue_place_text",
    "queue_positions",
    "queue_wait_estimate",
    "waiting_reasons",
]

"""A chat's life: start, assign by hand, transfer, requeue, close, verify the customer, mark read.

Every function is keyword-only, runs in one transaction, raises ChatError on bad input (changing nothing)
and queues dispatch after commit when it may have freed a slot or queued a chat. Lock order: the chat row
first, then Presence rows in ascending agent id (see chat/services/assignment.py and docs/routing.md). The
fields each state change sets are defined once in ``chat.models.transitions``.

One module per part of the life: ``start`` (a new chat), ``handover`` (who holds it: assign, transfer,
requeue, read), ``close``, ``customer`` (its CRM link verified); ``common`` holds what they share.
"""

from .close import CLOSING_MESSAGES, DEFAULT_CLOSING_MESSAGE, chat_close, system_text
from .common import lock_chat
from .customer import chat_customer_confirm, chat_customer_create, chat_customer_verify, may_create_customer
from .handover import REQUEUE_LOGGED_OUT, TRANSFER_MANUAL, chat_assign, chat_mark_read, chat_requeue, chat_transfer
from .start import chat_start
from .transcript import chat_transcript_recipient, chat_transcript_send

__all__ = [
    "CLOSING_MESSAGES",
    "DEFAULT_CLOSING_MESSAGE",
    "REQUEUE_LOGGED_OUT",
    "TRANSFER_MANUAL",
    "chat_assign",
    "chat_close",
    "chat_customer_confirm",
    "chat_customer_create",
    "chat_customer_verify",
    "chat_mark_read",
    "chat_requeue",
    "chat_start",
    "chat_transcript_recipient",
    "chat_transcript_send",
    "chat_transfer",
    "lock_chat",
    "may_create_customer",
    "system_text",
]

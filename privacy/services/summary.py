"""What a request would cover, before it is made: the admin's confirmation page shows it."""

from __future__ import annotations

from chat.models import Chat

from .relations import file_fields, subject_tree, tree_counts
from .subject import PrivacySubject


def privacy_summary(subject: PrivacySubject) -> dict[str, int]:
    """The counts an export or an erasure of ``subject`` would give now, plus ``open_chats`` (closed first by an
    erasure) and ``files`` (stored files)."""
    customer_node, chat_nodes = subject_tree(subject)
    counts = tree_counts(customer_node, chat_nodes)
    counts["open_chats"] = sum(1 for node in chat_nodes if node.obj.status != Chat.Status.CLOSED)
    counts["files"] = sum(
        1
        for chat in chat_nodes
        for node in chat.walk()
        for f in file_fields(type(node.obj))
        if getattr(node.obj, f.attname)
    )
    return counts

"""GDPR article 17: erase everything stored about a person — rows and stored files — leaving an audit record that
keeps no personal data.

In one transaction: the subject's customer row and chats are locked; his open chats are closed first through the
chat service (``chat_close``: the agent's slot is freed, dispatch runs, the agent's inbox drops the chat); then
every row of the tree (``relations.py``: attachments, messages, events, exclusions, chats, the customer) is
deleted, leaves first; mentions of the person in rows that stay are scrubbed (``_scrub_mentions``); the audit
record is written. After the commit the stored files go with their emptied folders (``storage.py``) and the
chats' visitor tokens stop opening anything, even from the cache. A refusal (no confirmation, an unknown
customer) changes nothing. docs/privacy.md, "Erasure".
"""

from __future__ import annotations

import re

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chat.models import Chat, ChatEvent
from chat.services.chats import chat_close
from chat.services.errors import ChatError
from chat.services.storage import storage_delete_files_on_commit
from chat.services.visitors import visitor_tokens_forget
from core.errors import ApplicationError
from privacy.models import PrivacyRequest

from .audit import privacy_request_record
from .relations import Node, chunks, file_fields, subject_tree, tree_counts, tree_models
from .subject import PrivacySubject

# What stands in the admin's history for an erased row's repr and for the person's names in the rows that stay.
ERASED = "[erased]"


def privacy_erase_check(*, confirm) -> None:
    """An erasure cannot be undone: it needs ``confirm`` to be exactly True (code "confirmation_required")."""
    if confirm is not True:
        raise ApplicationError(
            _("Confirm the erasure: it deletes everything stored about this person and cannot be undone."),
            field="confirm", code="confirmation_required",
        )


def _close_open_chats(chat_nodes: list[Node], *, actor) -> int:
    """Close the open chats through the chat service (reason "admin" by a person, "system" by a command)."""
    reason = Chat.CloseReason.ADMIN if actor is not None else Chat.CloseReason.SYSTEM
    closed = 0
    for node in chat_nodes:
        if node.obj.status != Chat.Status.CLOSED:
            try:
                chat_close(chat_id=node.obj.pk, reason=reason, actor=actor)
            except ChatError as exc:
                if exc.code != "closed":
                    raise
            closed += 1
    return closed


def _delete_tree(customer_node: Node | None, chat_nodes: list[Node]) -> list[str]:
    """Delete every row of the tree, leaves first; returns the stored names of their files."""
    by_model: dict[type, set] = {}
    files: list[str] = []
    for chat in chat_nodes:
        for node in chat.walk():
            by_model.setdefault(type(node.obj), set()).add(node.obj.pk)
            for f in file_fields(type(node.obj)):
                stored = getattr(node.obj, f.attname)
                if stored and stored.name:
                    files.append(stored.name)
    # Children before the rows they point at: the reverse of the tree's order (the roots come first there).
    for model in reversed(tree_models()):
        for part in chunks(sorted(by_model.get(model, ()))):
            model._default_manager.filter(pk__in=part)._raw_delete(model._default_manager.db)
    if customer_node is not None:
        customer = customer_node.obj
        # No chat points at him any longer (his chats are gone), so nothing is set to NULL or cascaded.
        type(customer)._default_manager.filter(pk=customer.pk)._raw_delete(type(customer)._default_manager.db)
    return files


def _all_nodes(customer_node: Node | None, chat_nodes: list[Node]) -> list[Node]:
    nodes = [node for chat in chat_nodes for node in chat.walk()]
    return nodes + ([customer_node] if customer_node is not None else [])


def _replace(text: str, words: list[str]) -> str:
    """``text`` with every occurrence of each word (case-insensitive, longest first) replaced by ``ERASED``."""
    for word in sorted(set(words), key=len, reverse=True):
        text = re.sub(re.escape(word), ERASED, text or "", flags=re.IGNORECASE)
    return text


def _scrub_mentions(subject: PrivacySubject, *, customer_node: Node | None, chat_nodes: list[Node]) -> dict:
    """Rows that stay but named the person: the admin's history of his rows (their repr, the change message),
    events of other chats that name his customer id, failed logins typed with his e-mail (django-axes)."""
    counts = {"admin_log_entries": 0, "event_mentions": 0, "login_attempts": 0}
    identifiers = subject.identifiers()  # unique to him: his e-mails, his Messenger id
    nodes = _all_nodes(customer_node, chat_nodes)
    names = [name.strip() for name in (
        [customer_node.obj.name] if customer_node is not None else []
    ) + [node.obj.visitor_name for node in chat_nodes] if name and name.strip()]

    # The admin's history (django.contrib.admin's LogEntry, which names a row by content type and id): an erased
    # row's own entries lose their repr, and his names and identifiers in their change message; any other entry
    # that quotes one of his identifiers loses it.
    own_keys = {(ContentType.objects.get_for_model(type(node.obj)).pk, str(node.obj.pk)) for node in nodes}
    conditions = []
    for content_type_id in sorted({key[0] for key in own_keys}):
        object_ids = sorted(pk for ct, pk in own_keys if ct == content_type_id)
        conditions += [Q(content_type_id=content_type_id, object_id__in=part) for part in chunks(object_ids)]
    for value in identifiers:
        conditions.append(Q(object_repr__icontains=value) | Q(change_message__icontains=value))
    entries = {entry.pk: entry for condition in conditions
               for entry in LogEntry.objects.filter(condition).select_for_update()}
    for entry in entries.values():
        if (entry.content_type_id, entry.object_id) in own_keys:
            entry.object_repr = ERASED
            entry.change_message = _replace(entry.change_message, identifiers + names)
        else:
            entry.object_repr = _replace(entry.object_repr, identifiers)
            entry.change_message = _replace(entry.change_message, identifiers)
        entry.save(update_fields=["object_repr", "change_message"])
        counts["admin_log_entries"] += 1

    # Events of chats that stay and name the erased customer (``customer_linked`` of a chat whose link moved on).
    if customer_node is not None:
        for event in ChatEvent.objects.filter(data__customer=customer_node.obj.pk).select_for_update():
            event.data = {**event.data, "customer": None}
            event.save(update_fields=["data"])
            counts["event_mentions"] += 1

    # Failed logins typed with his e-mail as the user name, or with it in their form data (django-axes).
    for value in [v for v in identifiers if "@" in v]:
        for model in (AccessAttempt, AccessFailureLog, AccessLog):
            condition = Q(username__iexact=value)
            if model is AccessAttempt:
                condition |= Q(get_data__icontains=value) | Q(post_data__icontains=value)
            deleted, _per_model = model.objects.filter(condition).delete()
            counts["login_attempts"] += deleted
    return counts


def privacy_erase(subject: PrivacySubject, *, actor=None, via: str, confirm) -> PrivacyRequest:
    """Erase everything stored about ``subject`` (see the module's docstring); returns the audit record with the
    counts of what went. ``confirm`` must be True. Running it again finds nothing (counts of zero)."""
    privacy_erase_check(confirm=confirm)
    with transaction.atomic():
        customer_node, chat_nodes = subject_tree(subject, lock=True)
        closed = _close_open_chats(chat_nodes, actor=actor)
        if closed:  # the closing messages and events are the chats' rows too: read the tree again
            customer_node, chat_nodes = subject_tree(subject, lock=True)
        counts = tree_counts(customer_node, chat_nodes)
        counts["open_chats_closed"] = closed
        files = _delete_tree(customer_node, chat_nodes)
        counts["files"] = len(files)
        counts.update(_scrub_mentions(subject, customer_node=customer_node, chat_nodes=chat_nodes))
        record = privacy_request_record(
            kind=PrivacyRequest.Kind.ERASE, subject_kind=subject.kind, via=via, actor=actor, counts=counts
        )
        storage_delete_files_on_commit(names=files)
        visitor_tokens_forget(chat_ids=[node.obj.pk for node in chat_nodes])
    return record

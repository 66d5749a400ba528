"""What is stored about a person, as a tree of rows, walked the same way by the export and the erasure.

The tree starts at the subject's customer row and his chats; under each row hang the rows of the models listed in
``CHILDREN`` (a chat's messages, events and exclusions; a message's attachments). Every foreign key that points at
a model of the tree must be listed in ``RELATIONS`` with what happens to its rows: ``tests/privacy`` walks
Django's ``_meta`` and fails when a model is added with a foreign key to a chat, a customer, a message, an
attachment … that this table does not cover, so that nobody adds personal data the export misses or the erasure
leaves behind. A row is written out with all its concrete fields (``row_data``), so a field added to a model later
is exported without a change here; only ``NOT_EXPORTED`` (secrets that say nothing about the person) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.db import models

# (model label, foreign key name) -> what the export and the erasure do with the rows that point through it:
#   "subject": the rows are the subject's own (his chats are found by it, ``PrivacySubject.chats``);
#   "child":   the rows belong to the row they point at: exported under it, erased with it;
#   "also":    a second way to rows that are a child through another relation of this table (exported and erased
#              there, once).
RELATIONS: dict[tuple[str, str], str] = {
    ("chat.Chat", "customer"): "subject",
    ("chat.Message", "chat"): "child",
    ("chat.ChatEvent", "chat"): "child",
    ("chat.NoReplyExclusion", "chat"): "child",
    ("chat.Attachment", "message"): "child",
    # The e-mails of an offline message (the acknowledgement, the replies): their recipient is the person.
    ("chat.OfflineEmail", "chat"): "child",
    ("chat.OfflineEmail", "message"): "also",
}

# Fields never written into an export: credentials, not information about the person (the hash of the widget's
# visitor token, the random key of an attachment's download link).
NOT_EXPORTED: set[tuple[str, str]] = {
    ("chat.Chat", "visitor_token_hash"),
    ("chat.Attachment", "token"),
}

# The roots of the tree.
ROOT_MODELS = ("crm.Customer", "chat.Chat")

# Ids per query (``… IN (…)``): a long history stays far below PostgreSQL's 65,535 parameters per statement.
CHUNK = 5000


def chunks(values: list, size: int | None = None):
    size = size or CHUNK
    for start in range(0, len(values), size):
        yield values[start:start + size]


def children_of(model: type[models.Model]) -> list[models.ForeignKey]:
    """The foreign keys (of other models) whose rows are children of ``model``'s rows, in a stable order."""
    label = model._meta.label
    fields = [
        apps.get_model(child)._meta.get_field(name)
        for (child, name), handling in RELATIONS.items()
        if handling == "child" and apps.get_model(child)._meta.get_field(name).related_model._meta.label == label
    ]
    return sorted(fields, key=lambda f: (f.model._meta.label, f.name))


def tree_models() -> list[type[models.Model]]:
    """Every model whose rows can hold the subject's data: the roots and, below them, every child model."""
    found: list[type[models.Model]] = []
    pending = [apps.get_model(label) for label in ROOT_MODELS]
    while pending:
        model = pending.pop(0)
        if model in found:
            continue
        found.append(model)
        pending.extend(fk.model for fk in children_of(model))
    return found


def key_of(fk: models.ForeignKey) -> str:
    """The name a child relation has in the export and in the counts: its related name (``messages``,
    ``events``, ``attachments``, ``no_reply_exclusions``)."""
    return fk.remote_field.get_accessor_name()


def file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]


def row_data(obj: models.Model) -> dict:
    """Every concrete field of the row (foreign keys as the id they hold, files as their stored name), but
    ``NOT_EXPORTED``."""
    label = obj._meta.label
    data = {}
    for f in obj._meta.concrete_fields:
        if (label, f.name) in NOT_EXPORTED:
            continue
        value = f.value_from_object(obj)
        if isinstance(f, models.FileField):
            value = value.name if value else None
        data[f.name] = value
    return data


@dataclass
class Node:
    """One row of the tree and its children, by relation key."""

    obj: models.Model
    children: dict[str, list[Node]] = field(default_factory=dict)

    def walk(self):
        yield self
        for nodes in self.children.values():
            for node in nodes:
                yield from node.walk()


def load_children(nodes: list[Node]) -> None:
    """Load the children of ``nodes`` (all of one model), level by level: one query per relation and level."""
    if not nodes:
        return
    model = type(nodes[0].obj)
    by_pk = {node.obj.pk: node for node in nodes}
    for fk in children_of(model):
        key = key_of(fk)
        for node in nodes:
            node.children[key] = []
        rows = [
            row
            for part in chunks(sorted(by_pk))
            for row in fk.model._default_manager.filter(**{f"{fk.name}__in": part}).order_by("pk")
        ]
        child_nodes = []
        for row in rows:
            child = Node(row)
            by_pk[getattr(row, fk.attname)].children[key].append(child)
            child_nodes.append(child)
        load_children(child_nodes)


def subject_tree(subject, *, lock: bool = False) -> tuple[Node | None, list[Node]]:
    """The subject's customer node (or None) and his chat nodes, each with every row below it.
    ``lock``: the customer's and the chats' rows are locked for the rest of the transaction."""
    customer = subject.customer
    chats = subject.chats()
    if lock:
        # The customer first: a chat linked to him meanwhile waits for the end of the erasure (its foreign key
        # locks his row), or has committed before and is found by the chats' query, which runs after.
        if customer is not None:
            customer = type(customer).objects.select_for_update().filter(pk=customer.pk).first()
        chats = chats.select_for_update(of=("self",))
    chat_nodes = [Node(chat) for chat in chats]
    load_children(chat_nodes)
    customer_node = Node(customer) if customer is not None else None
    return customer_node, chat_nodes


def tree_counts(customer_node: Node | None, chat_nodes: list[Node]) -> dict[str, int]:
    """How many rows of each kind: {"customers": 1, "chats": 3, "messages": 12, "attachments": 2, …} (every kind
    of the tree, zeros included, so that the numbers of two requests line up)."""
    counts = {"customers": int(customer_node is not None), "chats": len(chat_nodes)}
    for model in tree_models():
        for fk in children_of(model):
            counts.setdefault(key_of(fk), 0)
    for chat in chat_nodes:
        for node in chat.walk():
            for key, nodes in node.children.items():
                counts[key] += len(nodes)
    return counts


def uncovered_relations(models_to_check=None) -> list[str]:
    """Foreign keys, one-to-one and many-to-many fields of any model (``models_to_check``: every installed one)
    that point at a model of the tree but are not in ``RELATIONS``: data about a person that the export would miss
    and the erasure leave behind (or be blocked by). Also the entries of ``RELATIONS`` that no longer exist."""
    tree = set(tree_models())
    problems = []
    seen = set()
    for model in models_to_check if models_to_check is not None else apps.get_models():
        for f in model._meta.get_fields(include_hidden=True):
            forward = f.is_relation and not f.auto_created and (getattr(f, "concrete", False) or f.many_to_many)
            if not forward:  # reverse accessors, generic relations (the admin's history is scrubbed apart)
                continue
            if f.related_model not in tree:
                continue
            key = (model._meta.label, f.name)
            seen.add(key)
            if key not in RELATIONS:
                problems.append(f"{model._meta.label}.{f.name} -> {f.related_model._meta.label} is not covered")
    for key in RELATIONS:
        if key not in seen and models_to_check is None:
            problems.append(f"{key[0]}.{key[1]} is in RELATIONS but is no such relation")
    return problems

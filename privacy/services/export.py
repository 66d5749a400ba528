"""GDPR article 15: everything stored about a person, as one ZIP archive.

``export.json`` holds the customer row and every chat with all their fields, and under each chat its messages
(with their attachments' metadata), events and no-reply exclusions (the tree of ``relations.py``); ``files/``
holds each stored file (``files/attachment/<id>/<name>``; the JSON names it in ``file_in_archive``). A file past
its download hours was already removed from storage: its metadata is there, ``file_in_archive`` is null.
Every export is audited (``PrivacyRequest``, kind "export"). docs/privacy.md, "Export".
"""

from __future__ import annotations

import json
import posixpath
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from typing import IO

from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from privacy.models import PrivacyRequest

from .audit import privacy_request_record
from .relations import Node, file_fields, row_data, subject_tree, tree_counts
from .subject import PrivacySubject

FORMAT = "parley-privacy-export/1"


@dataclass
class PrivacyExport:
    """The archive (a temporary file, at its start; closing it removes it), its download name and the audit
    record."""

    archive: IO[bytes]
    filename: str
    request: PrivacyRequest


def _node_data(node: Node, files: list[tuple[str, str, dict, str]]) -> dict:
    """The row's fields and its children (recursively); each stored file is noted in ``files`` as (stored name,
    place in the archive, the row's dict, the key that names the place) for the caller to copy."""
    data = row_data(node.obj)
    for f in file_fields(type(node.obj)):
        stored = getattr(node.obj, f.attname)
        key = f"{f.name}_in_archive"
        data[key] = None
        if stored and stored.name:
            in_archive = f"files/{node.obj._meta.model_name}/{node.obj.pk}/{posixpath.basename(stored.name)}"
            files.append((stored.name, in_archive, data, key))
    for key, children in node.children.items():
        data[key] = [_node_data(child, files) for child in children]
    return data


def _copy_files(zf: zipfile.ZipFile, files: list[tuple[str, str, dict, str]]) -> int:
    """Copy each stored file into the archive in chunks and name its place in its row's dict; a file no longer
    in storage (expired meanwhile) keeps ``None``. Returns how many were copied."""
    copied = 0
    for name, in_archive, data, key in files:
        try:
            source = default_storage.open(name, "rb")
        except (FileNotFoundError, OSError):
            continue
        with source, zf.open(in_archive, "w") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        data[key] = in_archive
        copied += 1
    return copied


def privacy_export(subject: PrivacySubject, *, actor=None, via: str) -> PrivacyExport:
    """Build the ZIP archive of everything stored about ``subject`` and record the request.

    The rows are read in one transaction; the archive is written to a temporary file (files are copied into it
    from storage in chunks, never read whole into memory)."""
    archive = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the caller (a FileResponse closes it)
    try:
        with transaction.atomic():
            customer_node, chat_nodes = subject_tree(subject)
            files: list[tuple[str, str, dict, str]] = []
            chats = [_node_data(node, files) for node in chat_nodes]
            with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
                copied = _copy_files(zf, files)
                counts = {**tree_counts(customer_node, chat_nodes), "files": copied}
                record = privacy_request_record(
                    kind=PrivacyRequest.Kind.EXPORT, subject_kind=subject.kind, via=via, actor=actor, counts=counts
                )
                document = {
                    "format": FORMAT,
                    "reference": record.reference,
                    "exported_at": timezone.now(),
                    "subject": {
                        "found_by": subject.kind,
                        "customer": subject.customer.pk if subject.customer is not None else None,
                        "email": subject.email or None,
                    },
                    "counts": counts,
                    "customer": row_data(customer_node.obj) if customer_node is not None else None,
                    "chats": chats,
                }
                zf.writestr("export.json", json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
    except BaseException:
        archive.close()
        raise
    archive.seek(0)
    return PrivacyExport(archive=archive, filename=f"parley-privacy-{record.reference}.zip", request=record)

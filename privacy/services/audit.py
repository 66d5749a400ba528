"""The audit record of every privacy request (``PrivacyRequest``): kind, subject kind, way in, actor, counts."""

from __future__ import annotations

import uuid

from privacy.models import PrivacyRequest

REFERENCE_FORMAT = "PR-{pk:06d}"


def privacy_request_record(*, kind: str, subject_kind: str, via: str, actor, counts: dict) -> PrivacyRequest:
    """Write the record (inside the request's transaction: no record without the request, no request without its
    record) and give it its reference, ``PR-000042``."""
    if via not in PrivacyRequest.Via.values:
        raise ValueError(f"unknown way in {via!r}")
    record = PrivacyRequest.objects.create(
        reference=f"tmp-{uuid.uuid4().hex[:16]}", kind=kind, subject_kind=subject_kind, via=via,
        actor=actor, actor_username=getattr(actor, "username", "") or "", counts=dict(counts),
    )
    record.reference = REFERENCE_FORMAT.format(pk=record.pk)
    PrivacyRequest.objects.filter(pk=record.pk).update(reference=record.reference)
    return record

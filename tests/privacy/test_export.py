"""GDPR article 15: the export of everything stored about a person (privacy.services.privacy_export)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage

from chat.models import Attachment, Chat, ChatEvent, Message
from chat.services.rules.expire_attachments import attachments_expire
from privacy.models import PrivacyRequest
from privacy.services import privacy_export, privacy_subject
from privacy.services.relations import NOT_EXPORTED

from .scenario import EMAIL, FILE_BYTES, MESSENGER_ID, NAME, OTHER_EMAIL, PHONE

pytestmark = pytest.mark.django_db


def open_export(export) -> tuple[zipfile.ZipFile, dict]:
    archive = zipfile.ZipFile(io.BytesIO(export.archive.read()))
    return archive, json.loads(archive.read("export.json"))


def exported_fields(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields} - {name for label, name in NOT_EXPORTED
                                                             if label == model._meta.label}


def test_the_export_by_email_holds_the_customer_every_chat_and_everything_in_them(person, staff):
    export = privacy_export(privacy_subject(email=EMAIL.lower()), actor=staff, via=PrivacyRequest.Via.API)
    archive, doc = open_export(export)

    assert doc["format"] == "parley-privacy-export/1"
    assert doc["customer"]["name"] == NAME and doc["customer"]["phone"] == PHONE
    assert doc["customer"]["messenger_id"] == MESSENGER_ID
    # The chat before she was a customer (her e-mail, linked to nobody), the website chat linked to her, the
    # Messenger chat (her Messenger id), the open one.
    assert sorted(c["id"] for c in doc["chats"]) == sorted(c.pk for c in person.chats)
    unlinked = next(c for c in doc["chats"] if c["id"] == person.chats[0].pk)
    assert unlinked["customer"] is None and unlinked["visitor_email"] == EMAIL.lower()
    messenger = next(c for c in doc["chats"] if c["channel"] == "messenger")
    assert messenger["visitor_messenger_id"] == MESSENGER_ID
    assert [m["body"] for m in messenger["messages"]][:2] == ["Hello from Messenger", f"Hello {NAME}, how can I help?"]
    assert messenger["messages"][0]["external_id"] == "m_privacy_0001"

    # Every row with all its fields (a field added later is there without a change), never the secrets.
    for chat in doc["chats"]:
        assert set(chat) == exported_fields(Chat) | {"messages", "events", "no_reply_exclusions", "offline_emails"}
        assert "visitor_token_hash" not in chat
        for message in chat["messages"]:
            assert set(message) == exported_fields(Message) | {"attachments"}
        for event in chat["events"]:
            assert set(event) == exported_fields(ChatEvent)
    assert Message.objects.filter(chat__in=person.chats).count() == sum(len(c["messages"]) for c in doc["chats"])
    assert ChatEvent.objects.filter(chat__in=person.chats).count() == sum(len(c["events"]) for c in doc["chats"])
    bodies = [m["body"] for c in doc["chats"] for m in c["messages"]]
    assert f"{NAME} prefers phone: {PHONE}" in bodies  # agents' private notes are about her too
    notes = [e["data"].get("note") for c in doc["chats"] for e in c["events"] if e["kind"] == "transferred"]
    assert notes == [f"{NAME} waits for a callback"]

    # The files: metadata in the JSON, the bytes alongside.
    attachments = [a for c in doc["chats"] for m in c["messages"] for a in m["attachments"]]
    assert sorted(a["original_name"] for a in attachments) == ["faktura-zbigniewa.txt", "skan-dowodu.pdf"]
    for attachment in attachments:
        assert set(attachment) == exported_fields(Attachment) | {"file_in_archive"}
        assert "token" not in attachment
        stored = Attachment.objects.get(pk=attachment["id"]).file.name
        assert attachment["file"] == stored
        assert archive.read(attachment["file_in_archive"]) == default_storage.open(stored).read()
    scan = next(a for a in attachments if a["original_name"] == "skan-dowodu.pdf")
    assert archive.read(scan["file_in_archive"]) == FILE_BYTES
    assert sorted(archive.namelist()) == sorted(["export.json", *(a["file_in_archive"] for a in attachments)])

    # Audited, without anything about her.
    record = export.request
    assert doc["reference"] == record.reference == f"PR-{record.pk:06d}"
    assert export.filename == f"parley-privacy-{record.reference}.zip"
    assert (record.kind, record.subject_kind, record.via, record.actor, record.actor_username) == (
        "export", "email", "api", staff, "boss")
    assert record.counts == doc["counts"] == {
        "customers": 1, "chats": 5, "messages": len(bodies), "attachments": 2, "files": 2,
        "events": sum(len(c["events"]) for c in doc["chats"]), "no_reply_exclusions": 0,
        "offline_emails": 2,
    }
    assert_no_personal_data(record)


def assert_no_personal_data(record: PrivacyRequest) -> None:
    stored = json.dumps([getattr(record, f.attname) for f in PrivacyRequest._meta.concrete_fields], default=str)
    for value in (EMAIL, EMAIL.lower(), NAME, PHONE, MESSENGER_ID):
        assert value.lower() not in stored.lower()


def test_the_export_by_customer_finds_the_same_as_by_email_in_any_case(person, staff):
    by_customer = open_export(privacy_export(privacy_subject(customer_id=person.customer.pk), via="command"))[1]
    by_email = open_export(privacy_export(privacy_subject(email=f"  {EMAIL.upper()} "), via="command"))[1]
    assert by_customer["subject"] == {"found_by": "customer", "customer": person.customer.pk, "email": EMAIL.lower()}
    assert by_email["subject"]["found_by"] == "email"
    assert [c["id"] for c in by_customer["chats"]] == [c["id"] for c in by_email["chats"]]
    assert PrivacyRequest.objects.filter(kind="export", actor=None, via="command").count() == 2


def test_the_export_leaves_out_other_people_and_changes_nothing(person, other, staff):
    before = (Chat.objects.count(), Message.objects.count(), Attachment.objects.count())
    _archive, doc = open_export(privacy_export(privacy_subject(email=EMAIL), actor=staff, via="admin"))
    assert other.chat.pk not in [c["id"] for c in doc["chats"]]
    assert OTHER_EMAIL not in json.dumps(doc)
    assert (Chat.objects.count(), Message.objects.count(), Attachment.objects.count()) == before


def test_an_e_mail_nobody_gave_exports_an_empty_archive_and_is_audited(staff, db):
    export = privacy_export(privacy_subject(email="nobody@example.com"), actor=staff, via="api")
    archive, doc = open_export(export)
    assert archive.namelist() == ["export.json"]
    assert doc["customer"] is None and doc["chats"] == []
    assert export.request.counts["chats"] == 0 and export.request.subject_kind == "email"


def test_a_file_past_its_download_hours_is_listed_without_bytes(person, staff, django_capture_on_commit_callbacks):
    expired = Attachment.objects.get(file=person.files[0])
    with django_capture_on_commit_callbacks(execute=True):
        Attachment.objects.exclude(pk=expired.pk).update(expires_at=expired.expires_at + timedelta(days=1))
        assert attachments_expire(now=expired.expires_at + timedelta(seconds=1)) == 1
    assert not default_storage.exists(person.files[0])
    archive, doc = open_export(privacy_export(privacy_subject(customer_id=person.customer.pk), via="api"))
    attachments = {a["id"]: a for c in doc["chats"] for m in c["messages"] for a in m["attachments"]}
    assert attachments[expired.pk]["file"] is None and attachments[expired.pk]["file_in_archive"] is None
    assert attachments[expired.pk]["expired_at"] is not None
    assert doc["counts"]["attachments"] == 2 and doc["counts"]["files"] == 1
    assert len(archive.namelist()) == 2

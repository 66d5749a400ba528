"""GDPR article 17: the erasure of everything stored about a person (privacy.services.privacy_erase).

The main test builds a person with everything Parley can store about her (tests/privacy/scenario.py), erases
her, then searches every text and JSON column of every table of the database for her e-mail, name, phone and
Messenger id, and the media folder for her files; it prints what it searched, for the lead to quote."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.core.files.storage import default_storage
from django.db import connection

from agents.models import Presence
from chat.models import Attachment, Chat, ChatEvent, Message
from chat.services.visitors import visitor_token_cache_key
from core.errors import ApplicationError
from crm.models import Customer
from crm.services import customer_create
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase, privacy_subject
from privacy.services.erase import ERASED

from .scenario import EMAIL, FILE_BYTES, MESSENGER_ID, NAME, OTHER_EMAIL, OTHER_FILE_BYTES, OTHER_NAME, PHONE

pytestmark = pytest.mark.django_db

SEARCHED_TYPES = ("text", "character varying", "character", "json", "jsonb")


def search_database(values: list[str]) -> tuple[int, int, dict[str, list[str]]]:
    """(tables searched, columns searched, {value: ["table.column (n rows)", …]}) for every text, varchar and JSON
    column of every table of the database's schema, case-insensitively."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name"
            " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.data_type = ANY(%s)"
            " ORDER BY 1, 2",
            [list(SEARCHED_TYPES)],
        )
        columns = cursor.fetchall()
        found: dict[str, list[str]] = {value: [] for value in values}
        for table, column in columns:
            for value in values:
                cursor.execute(
                    f"SELECT count(*) FROM {quote(table)} WHERE strpos(lower({quote(column)}::text), %s) > 0",
                    [value.lower()],
                )
                rows = cursor.fetchone()[0]
                if rows:
                    found[value].append(f"{table}.{column} ({rows} rows)")
    return len({table for table, _column in columns}), len(columns), found


def media_files() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}


@pytest.mark.postgresql("searches every table of PostgreSQL's catalogue")
def test_after_the_erasure_no_table_and_no_file_holds_anything_of_the_person(
    person, other, staff, agent, django_capture_on_commit_callbacks
):
    values = [EMAIL, NAME, PHONE, MESSENGER_ID, "zbigniewa"]
    tables, columns, before = search_database(values)
    assert all(before[value] for value in values), before  # the search finds her while she is there
    assert any(FILE_BYTES in content for content in media_files().values())
    assert Presence.objects.get(agent=agent).open_chats == 1  # her open chat holds the agent's slot

    with django_capture_on_commit_callbacks(execute=True):
        record = privacy_erase(privacy_subject(email=EMAIL), actor=staff, via=PrivacyRequest.Via.ADMIN, confirm=True)

    tables, columns, after = search_database(values)
    rows_found = sum(len(places) for places in after.values())
    print(f"\nprivacy erasure {record.reference}: searched {tables} tables, {columns} text/JSON columns for "
          f"{len(values)} values (e-mail, name, phone, Messenger id, 'zbigniewa'): rows found = {rows_found}")
    print(f"before the erasure they were in: {sorted({p.split(' ')[0] for v in before.values() for p in v})}")
    files = media_files()
    print(f"media folder: {len(files)} files left, none of hers: "
          f"{not any(FILE_BYTES in c or NAME.encode() in c for c in files.values())}")
    print(f"audit record: {record.counts}")
    assert after == {value: [] for value in values}

    # Her stored files are gone with their folders; the other person's file is there.
    for name in person.files:
        assert not default_storage.exists(name)
        assert not os.path.exists(os.path.dirname(default_storage.path(name)))  # the token folder went too
    assert not any(FILE_BYTES in content or NAME.encode() in content for content in files.values())
    assert files == {other.file: OTHER_FILE_BYTES}

    # Her open chat was closed first: the agent's slot is free.
    assert Presence.objects.get(agent=agent).open_chats == 0
    assert not Chat.objects.filter(pk__in=[c.pk for c in person.chats]).exists()
    assert not Customer.objects.filter(pk=person.customer.pk).exists()

    # The other person is untouched; the mention of her customer in his chat's events is gone.
    _tables, _columns, others = search_database([OTHER_EMAIL, OTHER_NAME])
    assert others[OTHER_EMAIL] and others[OTHER_NAME]
    assert Chat.objects.filter(pk=other.chat.pk).exists() and Customer.objects.filter(pk=other.customer.pk).exists()
    assert ChatEvent.objects.get(pk=other.event.pk).data["customer"] == other.customer.pk
    assert not ChatEvent.objects.filter(data__customer=person.customer.pk).exists()

    # The audit record: what went, by whom, never whom.
    assert record.reference == f"PR-{record.pk:06d}"
    assert (record.kind, record.subject_kind, record.via, record.actor) == ("erase", "email", "admin", staff)
    assert record.counts["customers"] == 1 and record.counts["chats"] == 5 and record.counts["files"] == 2
    assert record.counts["attachments"] == 2 and record.counts["open_chats_closed"] == 1
    assert record.counts["admin_log_entries"] == 2 and record.counts["login_attempts"] == 1
    assert record.counts["event_mentions"] == 1
    assert record.counts["messages"] > 8 and record.counts["events"] > 10


def test_the_admins_history_of_her_rows_stays_without_her(person, staff, django_capture_on_commit_callbacks):
    entries = list(LogEntry.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        privacy_erase(privacy_subject(customer_id=person.customer.pk), actor=staff, via="admin", confirm=True)
    kept = LogEntry.objects.filter(pk__in=entries)
    assert kept.count() == 2  # who changed what and when stays
    assert set(kept.values_list("object_repr", flat=True)) == {ERASED}
    assert all(NAME not in entry.change_message for entry in kept)
    assert not AccessAttempt.objects.filter(username__iexact=EMAIL).exists()


def test_the_erasure_forgets_the_visitor_tokens_and_the_widget_chat_opens_nothing(
    person, staff, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from chat.services.visitors import visitor_chat_authenticate, visitor_token_issue

    token = visitor_token_issue(chat_id=person.open_chat.pk)
    with django_capture_on_commit_callbacks(execute=True):
        cache.set(visitor_token_cache_key(person.open_chat.pk), Chat.objects.get(pk=person.open_chat.pk)
                  .visitor_token_hash)
        privacy_erase(privacy_subject(email=EMAIL), actor=staff, via="api", confirm=True)
    assert cache.get(visitor_token_cache_key(person.open_chat.pk)) is None
    assert visitor_chat_authenticate(chat_id=person.open_chat.pk, token=token) is None


@pytest.mark.parametrize("confirm", [False, None, "yes", 1])
def test_without_confirmation_nothing_is_erased(person, staff, confirm):
    counts = (Customer.objects.count(), Chat.objects.count(), Message.objects.count(), Attachment.objects.count())
    with pytest.raises(ApplicationError) as refused:
        privacy_erase(privacy_subject(email=EMAIL), actor=staff, via="api", confirm=confirm)
    assert (refused.value.field, refused.value.code) == ("confirm", "confirmation_required")
    assert counts == (Customer.objects.count(), Chat.objects.count(), Message.objects.count(),
                      Attachment.objects.count())
    assert all(default_storage.exists(name) for name in person.files)
    assert not PrivacyRequest.objects.exists()


def test_erasing_again_finds_nothing_and_is_recorded_with_zeros(person, staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        privacy_erase(privacy_subject(email=EMAIL), actor=staff, via="api", confirm=True)
        second = privacy_erase(privacy_subject(email=EMAIL), actor=staff, via="api", confirm=True)
    assert second.counts["customers"] == second.counts["chats"] == second.counts["files"] == 0
    assert PrivacyRequest.objects.filter(kind="erase").count() == 2


def test_a_messenger_customer_without_an_e_mail_is_erased_by_customer(queue, staff, django_capture_on_commit_callbacks):
    from chat.messenger.services import messenger_message_receive

    message = messenger_message_receive(sender_id="PSID-ONLY-4411", mid="m_only_1", text="Hi, it is Olgierd")
    customer = customer_create(name="Olgierd", messenger_id="PSID-ONLY-4411")
    message_post_chat = message.chat
    with django_capture_on_commit_callbacks(execute=True):
        record = privacy_erase(privacy_subject(customer_id=customer.pk), actor=staff, via="api", confirm=True)
    assert record.subject_kind == "customer" and record.counts["chats"] == 1 and record.counts["customers"] == 1
    assert not Chat.objects.filter(pk=message_post_chat.pk).exists()
    assert not Message.objects.filter(external_id="m_only_1").exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "code"),
    [
        ({}, None, "subject_required"),
        ({"customer_id": "", "email": "  "}, None, "subject_required"),
        ({"customer_id": 1, "email": "a@example.com"}, None, "subject_ambiguous"),
        ({"customer_id": 999999}, "customer", "not_found"),
        ({"customer_id": "abc"}, "customer", "not_found"),
        ({"email": "not-an-email"}, "email", "invalid_email"),
        ({"email": "a@" + "b" * 300 + ".com"}, "email", "invalid_email"),
    ],
)
def test_a_subject_is_exactly_one_known_customer_or_one_well_formed_e_mail(db, kwargs, field, code):
    with pytest.raises(ApplicationError) as refused:
        privacy_subject(**kwargs)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_long_history_is_read_and_erased_in_chunks(person, staff, monkeypatch, django_capture_on_commit_callbacks):
    """Ids go into ``IN (…)`` lists of at most CHUNK (5,000 in production, far below PostgreSQL's 65,535
    parameters per statement); with chunks of 2 the export and the erasure still find and delete everything."""
    from privacy.services import privacy_export, relations

    expected = privacy_export(privacy_subject(email=EMAIL), via="api").request.counts
    monkeypatch.setattr(relations, "CHUNK", 2)
    assert privacy_export(privacy_subject(email=EMAIL), via="api").request.counts == expected
    with django_capture_on_commit_callbacks(execute=True):
        record = privacy_erase(privacy_subject(email=EMAIL), actor=staff, via="api", confirm=True)
    assert record.counts["messages"] == expected["messages"] + 1  # the closing message of the open chat
    assert record.counts["admin_log_entries"] == 2
    assert not Message.objects.filter(chat__in=person.chats).exists()
    assert not Attachment.objects.filter(file__in=person.files).exists()

"""``manage.py privacy_export`` and ``manage.py privacy_erase``: thin ways in to the same services."""

from __future__ import annotations

import json
import re
import zipfile

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from django.utils.translation import gettext

from chat.models import Chat
from crm.models import Customer
from privacy.models import PrivacyRequest

from .scenario import EMAIL, NAME

pytestmark = pytest.mark.django_db

CONFIRM = "Confirm the erasure: it deletes everything stored about this person and cannot be undone."


def in_site_language(message: str) -> str:
    """Commands speak the site's language (LANGUAGE_CODE, Polish): the message as they print it."""
    with translation.override(settings.LANGUAGE_CODE):
        return gettext(message)


def test_privacy_export_writes_the_archive_and_says_its_reference(person, tmp_path, capsys):
    out = tmp_path / "zbigniewa.zip"
    call_command("privacy_export", "--email", EMAIL, "--out", str(out))
    record = PrivacyRequest.objects.get()
    assert capsys.readouterr().out.startswith(f"{record.reference}: wrote {out} (")
    doc = json.loads(zipfile.ZipFile(out).read("export.json"))
    assert doc["customer"]["name"] == NAME and doc["reference"] == record.reference
    assert (record.via, record.actor, record.actor_username) == ("command", None, "")


def test_privacy_erase_needs_yes_and_then_erases(person, capsys, django_capture_on_commit_callbacks):
    with pytest.raises(CommandError, match=re.escape(in_site_language(CONFIRM))):
        call_command("privacy_erase", "--customer", str(person.customer.pk))
    assert Customer.objects.filter(pk=person.customer.pk).exists() and not PrivacyRequest.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("privacy_erase", "--customer", str(person.customer.pk), "--yes")
    record = PrivacyRequest.objects.get()
    assert capsys.readouterr().out.startswith(f"{record.reference}: erased (")
    assert not Chat.objects.filter(pk__in=[c.pk for c in person.chats]).exists()
    # The open chat was closed by the system (no person ran the command).
    assert record.counts["open_chats_closed"] == 1 and record.actor is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--customer", "987654"], "There is no such customer."),
        (["--email", "no-at-sign"], "Enter a valid e-mail address."),
    ],
)
def test_bad_subjects_are_refused(db, tmp_path, args, message):
    with pytest.raises(CommandError, match=re.escape(in_site_language(message))):
        call_command("privacy_export", *args, "--out", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip").exists()


def test_a_subject_is_required_and_only_one(db, tmp_path):
    with pytest.raises(CommandError, match="one of the arguments --customer --email is required"):
        call_command("privacy_export", "--out", str(tmp_path / "x.zip"))
    with pytest.raises(CommandError, match="not allowed with argument"):
        call_command("privacy_erase", "--customer", "1", "--email", "a@example.com", "--yes")

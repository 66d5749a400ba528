"""``manage.py privacy_export --email jan@example.com --out jan.zip`` (or ``--customer 42``): everything stored
about a person as the ZIP archive of the REST API and the admin (docs/privacy.md). A thin way in."""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from privacy.models import PrivacyRequest
from privacy.services import privacy_export, privacy_subject


class Command(BaseCommand):
    help = "Export everything stored about a customer or a visitor's e-mail as a ZIP archive (GDPR art. 15)."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", type=int, help="The CRM customer's id.")
        who.add_argument("--email", help="A visitor's e-mail (any case).")
        parser.add_argument("--out", required=True, help="Where to write the ZIP archive.")

    def handle(self, *args, customer=None, email=None, out: str, **options):
        try:
            subject = privacy_subject(customer_id=customer, email=email)
            export = privacy_export(subject, actor=None, via=PrivacyRequest.Via.COMMAND)
        except ApplicationError as exc:
            raise CommandError(str(exc))
        with export.archive, open(out, "wb") as target:
            shutil.copyfileobj(export.archive, target)
        counts = ", ".join(f"{key} {value}" for key, value in export.request.counts.items())
        self.stdout.write(f"{export.request.reference}: wrote {out} ({counts})")

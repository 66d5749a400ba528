"""``manage.py privacy_erase --email jan@example.com --yes`` (or ``--customer 42``): erase everything stored about a
person, as the REST API and the admin do (docs/privacy.md). Without ``--yes`` nothing is erased. A thin way in."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from privacy.models import PrivacyRequest
from privacy.services import privacy_erase, privacy_subject


class Command(BaseCommand):
    help = "Erase everything stored about a customer or a visitor's e-mail (GDPR art. 17). Needs --yes."

    def add_arguments(self, parser):
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--customer", type=int, help="The CRM customer's id.")
        who.add_argument("--email", help="A visitor's e-mail (any case).")
        parser.add_argument("--yes", action="store_true", help="Confirm: the erasure cannot be undone.")

    def handle(self, *args, customer=None, email=None, yes: bool = False, **options):
        try:
            subject = privacy_subject(customer_id=customer, email=email)
            record = privacy_erase(subject, actor=None, via=PrivacyRequest.Via.COMMAND, confirm=yes)
        except ApplicationError as exc:
            raise CommandError(str(exc))
        counts = ", ".join(f"{key} {value}" for key, value in record.counts.items())
        self.stdout.write(f"{record.reference}: erased ({counts})")

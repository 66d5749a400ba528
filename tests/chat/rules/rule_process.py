"""Run one timed rule in a separate OS process against the test database.

    python -m tests.chat.rules.rule_process RULE

It sets Django up and connects, writes "ready" on its standard output, then blocks reading its standard
input until the test writes "go" to every process, so that they start the rule at the same moment (a pipe
is the barrier: nothing polls). It runs the rule once and prints the number it returned. The test gives it
the test database's name in DATABASE_URL (and its MEDIA_ROOT in RULE_MEDIA_ROOT).
"""

from __future__ import annotations

import os
import sys

READY = "ready"
GO = "go"


def main() -> int:
    rule = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if os.environ.get("RULE_MEDIA_ROOT"):  # the storage of the test that started us
        settings.MEDIA_ROOT = os.environ["RULE_MEDIA_ROOT"]

    from chat.services.rules import RULES

    connection.ensure_connection()
    print(READY, flush=True)
    if sys.stdin.readline().strip() != GO:  # the test ended (its end of the pipe closed) without a go
        return 2
    print(RULES[rule][0]())
    return 0


if __name__ == "__main__":
    sys.exit(main())

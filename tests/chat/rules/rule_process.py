"""Run one timed rule in a separate OS process against the test database.

    python -m tests.chat.rules.rule_process RULE READY_FILE GO_FILE

It sets Django up, writes READY_FILE, waits (without sleep) for GO_FILE so that
several processes start the rule at the same moment, runs the rule once and
prints the number it returned. The test gives it the test database's name in
DATABASE_URL (and its MEDIA_ROOT in RULE_MEDIA_ROOT).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path


def main() -> int:
    rule, ready, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    if os.environ.get("RULE_MEDIA_ROOT"):  # the storage of the test that started us
        settings.MEDIA_ROOT = os.environ["RULE_MEDIA_ROOT"]

    from chat.services.rules import RULES

    connection.ensure_connection()
    ready.write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    pause = threading.Event()
    while not go.exists():
        if time.monotonic() > deadline:
            return 2
        pause.wait(0.002)
    print(RULES[rule][0]())
    return 0


if __name__ == "__main__":
    sys.exit(main())

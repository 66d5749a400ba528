"""Run each timed rule once (for cron users, operators and tests) and print what it did."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from chat.services.rules import RULES, rule_run


class Command(BaseCommand):
    help = "Run the timed rules once: " + ", ".join(RULES) + "."

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule",
            action="append",
            choices=list(RULES),
            dest="rules",
            help="Run only this rule (repeatable). Default: all, in schedule order.",
        )

    def handle(self, *args, rules=None, **options):
        for name in rules or list(RULES):
            _service, meaning = RULES[name]
            started = time.perf_counter()
            count = rule_run(name)
            elapsed_ms = (time.perf_counter() - started) * 1000
            self.stdout.write(f"{name}: {count} {meaning} ({elapsed_ms:.1f} ms)")

"""The database of its own a benchmark command builds and measures (bench_rules, bench_reports)."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections


def use_own_database(name: str, *, command: str, stdout) -> None:
    """Drop and recreate PostgreSQL database ``name``, point the default connection at it and migrate it.
    Refuses any other database engine, and the database the settings name (it would be dropped)."""
    conn = connections["default"]
    if conn.vendor != "postgresql":
        raise CommandError(f"{command} runs on PostgreSQL only: set DATABASE_URL=postgres://…")
    if name == conn.settings_dict["NAME"]:
        raise CommandError(f"Give {command} a database of its own (--database-name): it drops and recreates it.")
    # A maintenance connection (the "postgres" database), as Django's test-database creation does.
    with conn._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    conn.settings_dict["NAME"] = name
    stdout.write(f"database {name}: migrating …")
    call_command("migrate", verbosity=0, interactive=False)

"""Dispatch's statements PREPAREd once per database connection (PostgreSQL)."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

from django.db import DatabaseError, connection, transaction


class Prepared:
    """A statement PREPAREd once per database connection and run with ``EXECUTE``.

    Django's cursors bind parameters on the client, so PostgreSQL parses and plans every execution;
    dispatch's statements have a text fixed per settings, so a plan kept for the connection's life
    saves more than running them costs. The statement is prepared with SQL's own ``PREPARE`` (not
    psycopg's automatic preparing, which Django turns off and which would cache every other query of the
    connection too) and run through Django's usual cursor, so execute wrappers, query logging and error
    translation apply. ``PREPARE`` is not undone by a rollback; the name carries a digest of the text,
    so other settings make another statement.

    ``sql`` uses ``%(name)s`` placeholders; ``params`` lists them in order with their SQL types. With
    ``prepared=False`` (``PARLEY_DISPATCH_PREPARED``) the same text runs as an ordinary query.
    """

    def __init__(self, purpose: str, sql: str, params: tuple[tuple[str, str], ...]):
        self.sql, self.params = sql, params
        self.name = f"parley_{purpose}_{hashlib.sha1(sql.encode()).hexdigest()[:12]}"
        body = sql
        for n, (name, _type) in enumerate(params, start=1):
            body = body.replace(f"%({name})s", f"${n}")
        if "%" in body:  # a placeholder missing from params, or a literal % the two modes would read apart
            raise ValueError(f"{purpose}: the statement has a % that is not one of its parameters")
        self.prepare_sql = f"PREPARE {self.name} ({', '.join(kind for _n, kind in params)}) AS {body}"
        self.execute_sql = f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})"

    def execute(self, cursor, values: dict, *, prepared: bool) -> None:
        if not prepared:
            cursor.execute(self.sql, values)
            return
        pg = connection.connection
        names = getattr(pg, "_parley_prepared", None)
        if names is None:
            names = pg._parley_prepared = set()
        if not getattr(pg, "_parley_generic_plans", False) and not connection.in_atomic_block:
            # Plan once: with the default "auto" PostgreSQL may re-plan a prepared statement at every
            # execution when a custom plan looks a little cheaper. Only prepared statements are affected,
            # and only dispatch prepares. Set outside a transaction, so no rollback can undo it.
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            pg._parley_generic_plans = True
        args = [values[name] for name, _type in self.params]
        if self.name in names:
            try:
                with _savepoint():
                    cursor.execute(self.execute_sql, args)
                return
            except DatabaseError as error:
                if _sqlstate(error) != "26000":  # invalid_sql_statement_name
                    raise
                # The session lost its prepared statements (DISCARD ALL, DEALLOCATE ALL): prepare again.
                names.clear()
                pg._parley_generic_plans = False
        try:
            with _savepoint():
                cursor.execute(self.prepare_sql)
        except DatabaseError as error:
            if _sqlstate(error) != "42P05":  # duplicate_prepared_statement: prepared, but not recorded
                raise
        names.add(self.name)
        cursor.execute(self.execute_sql, args)


def _savepoint():
    """Inside a transaction a failed statement aborts it: try in a savepoint there (outside one, a failed
    statement harms nothing)."""
    return transaction.atomic() if connection.in_atomic_block else nullcontext()


def _sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)

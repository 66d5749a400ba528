"""PROTOTYPE (issue 12, point 3): A/B of dispatch's one-statement assignment, the statement composed in Python
(prepared) against the PL/pgSQL function of migration 0010, interleaved, each sample in a transaction rolled
back so that both always see the same state. Run it in the database bench_routing leaves behind:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley_bench manage.py bench_dispatch_ab --samples 3000
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from chat.services.dispatch.run import Run
from chat.services.dispatch.statements import PLPGSQL_ASSIGN, candidates_statement


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "A/B of the assignment statement: composed SQL against the PL/pgSQL prototype."

    def add_arguments(self, parser):
        parser.add_argument("--samples", type=int, default=3000)

    def handle(self, *args, samples, **options):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE chat_chat SET status = 'waiting', agent_id = NULL WHERE status = 'assigned'")
            cursor.execute("UPDATE agents_presence SET open_chats = 0")
            cursor.execute("DELETE FROM chat_chatevent WHERE kind = 'assigned'")
            for table in ("chat_chat", "agents_presence", "chat_chatevent"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        run = Run.load()
        with connection.cursor() as cursor:
            candidates_statement(tuple(run.chat_codes), allow_phone_call=run.allow_phone_call).execute(
                cursor, {"max": run.max_chats, "skipped": []}, prepared=True
            )
            batch = [row[0] for row in cursor.fetchall()]
        times: dict[str, list[float]] = {"composed": [], "plpgsql": []}
        rng = random.Random(1)
        for i in range(samples):
            ids = batch[rng.randrange(len(batch)) :]
            for name in ("composed", "plpgsql") if i % 2 == 0 else ("plpgsql", "composed"):
                values = {"ids": ids, "max": run.max_chats, "now": timezone.now(), "data": "{}"}
                statement = run.assign_statement
                if name == "plpgsql":
                    statement = PLPGSQL_ASSIGN
                    values.update(codes=run.agent_codes, allow_phone=run.allow_phone_call,
                                  needs_last=run.needs_last_agent, **{"async": run.async_commit})
                try:
                    with transaction.atomic(), connection.cursor() as cursor:
                        started = time.perf_counter()
                        statement.execute(cursor, values, prepared=True)
                        row = cursor.fetchone()
                        times[name].append((time.perf_counter() - started) * 1000)
                        assert row is not None and row[1] is not None, row
                        raise _Rollback
                except _Rollback:
                    pass
        for name, samples_ms in times.items():
            ordered = sorted(samples_ms[20:])  # after the warm-up
            self.stdout.write(
                f"{name:9} n={len(ordered)} median {statistics.median(ordered):.3f} ms  "
                f"p90 {ordered[int(len(ordered) * 0.9)]:.3f} ms  p99 {ordered[int(len(ordered) * 0.99)]:.3f} ms"
            )

"""Benchmark of the reports on PostgreSQL (issue 15, point 4).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley .venv/bin/python manage.py bench_reports

Builds, in its own database (``--database-name``, default ``parley_bench_reports``, dropped and recreated; the
database of DATABASE_URL is only used to create it), 1,000,000 chats over the last 90 days with one SQL
``INSERT … SELECT generate_series`` (20 queues, 200 agents, 8 dispositions; 4 % internal, 25 % Messenger; of the
customer chats 75 % answered, 10 % missed, 15 % abandoned; every assignment, close and, for one chat in ten, a
transfer as a ``ChatEvent``), runs ANALYZE, then times every report over the 90 days beside a baseline measured in
the same run (a bare ``SELECT count(*)`` of the same chats) and prints the top of each report's EXPLAIN ANALYZE.
Goal: every report under 2 s.
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agents.models import User
from chat.management.benchdb import use_own_database
from chat.models import Chat, Disposition, Queue
from chat.reports.figures import chats_in
from chat.reports.ranges import DateRange, site_today
from chat.reports.selectors import REPORTS, report_run, report_session

GOAL_SECONDS = 2.0

# Columns of chat_chat that the INSERT sets itself; every other NOT NULL column without a default gets the empty
# value of its type (so that a column another change adds does not break the bench).
SET_COLUMNS = {
    "id", "channel", "status", "queue_id", "agent_id", "initiator_id", "disposition_id", "created_at", "queued_at",
    "assigned_at", "first_assigned_at", "first_response_at", "closed_at", "close_reason", "last_message_at",
}
EMPTY_OF_TYPE = {
    "character varying": "''", "text": "''", "boolean": "false", "integer": "0", "bigint": "0", "smallint": "0",
    "jsonb": "'{}'::jsonb", "double precision": "0", "numeric": "0",
}

CHATS_SQL = """
WITH src AS (
    SELECT g,
        random() AS rc, random() AS rq, random() AS ra, random() AS ro, random() AS rd,
        %(start)s::timestamptz + floor(random() * %(days)s) * interval '1 day'
            + (CASE WHEN random() < 0.85 THEN 8 + random() * 10 ELSE random() * 24 END) * interval '1 hour' AS t0,
        power(random(), 2) * 300 AS wait, power(random(), 2) * 120 AS fr, 60 + random() * 1200 AS handle
    FROM generate_series(1, %(chats)s) AS g
), x AS (
    SELECT *,
        CASE WHEN ro < 0.75 THEN 'answered' WHEN ro < 0.85 THEN 'missed' ELSE 'abandoned' END AS outcome,
        rc < 0.04 AS internal,
        t0 + interval '2 seconds' AS queued,
        t0 + interval '2 seconds' + wait * interval '1 second' AS assigned
    FROM src
)
INSERT INTO chat_chat (channel, status, queue_id, agent_id, initiator_id, disposition_id, created_at, queued_at,
                       assigned_at, first_assigned_at, first_response_at, closed_at, close_reason, last_message_at
                       {filler_columns})
SELECT
    CASE WHEN internal THEN 'internal' WHEN rc < 0.29 THEN 'messenger' ELSE 'website' END,
    'closed',
    CASE WHEN internal THEN NULL ELSE (%(queues)s::bigint[])[1 + floor(rq * %(nqueues)s)::int] END,
    CASE WHEN internal OR outcome <> 'abandoned'
         THEN (%(agents)s::bigint[])[1 + floor(power(ra, 1.5) * %(nagents)s)::int] END,
    CASE WHEN internal THEN (%(agents)s::bigint[])[1 + floor(rq * %(nagents)s)::int] END,
    CASE WHEN NOT internal AND outcome = 'answered' AND rd < 0.7
         THEN (%(dispositions)s::bigint[])[1 + floor(rd / 0.7 * %(ndispositions)s)::int] END,
    t0,
    CASE WHEN internal THEN NULL ELSE queued END,
    CASE WHEN internal OR outcome <> 'abandoned' THEN assigned END,
    CASE WHEN NOT internal AND outcome <> 'abandoned' THEN assigned END,
    CASE WHEN NOT internal AND outcome = 'answered' THEN assigned + fr * interval '1 second' END,
    CASE WHEN outcome = 'abandoned' AND NOT internal THEN queued + wait * interval '1 second'
         ELSE assigned + handle * interval '1 second' END,
    CASE WHEN outcome = 'abandoned' THEN 'client' WHEN outcome = 'missed' THEN 'inactivity' ELSE 'agent' END,
    t0
    {filler_values}
FROM x
"""

EVENTS_SQL = """
INSERT INTO chat_chatevent (chat_id, kind, created_at, agent_id, queue_id, strategy, reason, data {filler_columns})
SELECT id, 'assigned', first_assigned_at, agent_id, queue_id, 'longest_idle', '', '{{}}'::jsonb {filler_values}
    FROM chat_chat WHERE first_assigned_at IS NOT NULL
UNION ALL
SELECT id, 'transferred', first_assigned_at + interval '30 seconds', agent_id, queue_id, '', 'no_reply', '{{}}'::jsonb
    {filler_values}
    FROM chat_chat WHERE first_assigned_at IS NOT NULL AND mod(id, 10) = 0
UNION ALL
SELECT id, 'closed', closed_at, NULL, NULL, '', close_reason, '{{}}'::jsonb {filler_values}
    FROM chat_chat WHERE channel <> 'internal'
"""


def _fillers(table: str, set_columns: set[str]) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = %s AND is_nullable = 'NO' AND column_default IS NULL",
            [table],
        )
        missing = [(name, kind) for name, kind in cursor.fetchall() if name not in set_columns]
    columns = "".join(f", {name}" for name, _kind in missing)
    values = "".join(f", {EMPTY_OF_TYPE.get(kind, 'DEFAULT')}" for _name, kind in missing)
    return columns, values


class Command(BaseCommand):
    help = "Time every report over 90 days of 1,000,000 chats (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--database-name", default="parley_bench_reports")
        parser.add_argument("--chats", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--queues", type=int, default=20)
        parser.add_argument("--agents", type=int, default=200)
        parser.add_argument("--runs", type=int, default=3, help="Runs of every report (the median is printed).")
        parser.add_argument("--explain-lines", type=int, default=8, help="Lines of each EXPLAIN ANALYZE printed.")
        parser.add_argument("--reuse", action="store_true",
                            help="Measure the database a previous run built (no drop, no build): for profiling.")

    def _use_own_database(self, name: str) -> None:
        use_own_database(name, command="bench_reports", stdout=self.stdout)

    def _build(self, *, chats: int, period: DateRange, queues: int, agents: int) -> None:
        started = time.perf_counter()
        queue_ids = [q.pk for q in Queue.objects.bulk_create([Queue(name=f"Queue {i + 1}") for i in range(queues)])]
        agent_ids = [
            u.pk
            for u in User.objects.bulk_create(
                [User(username=f"agent{i + 1}", first_name="Agent", last_name=str(i + 1)) for i in range(agents)]
            )
        ]
        names = ["Order status", "Complaint", "Returns", "Payment", "Delivery", "Product question", "Account", "Other"]
        disposition_ids = [
            d.pk for d in Disposition.objects.bulk_create([Disposition(name=n, order=i) for i, n in enumerate(names)])
        ]
        columns, values = _fillers("chat_chat", SET_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                CHATS_SQL.format(filler_columns=columns, filler_values=values),
                {
                    "start": period.start, "days": (period.date_to - period.date_from).days + 1, "chats": chats,
                    "queues": queue_ids, "nqueues": len(queue_ids), "agents": agent_ids, "nagents": len(agent_ids),
                    "dispositions": disposition_ids, "ndispositions": len(disposition_ids),
                },
            )
            built_chats = time.perf_counter() - started
            columns, values = _fillers(
                "chat_chatevent",
                {"id", "chat_id", "kind", "created_at", "agent_id", "queue_id", "strategy", "reason", "data"},
            )
            cursor.execute(EVENTS_SQL.format(filler_columns=columns, filler_values=values))
            events = cursor.rowcount
            cursor.execute("VACUUM ANALYZE chat_chat")
            cursor.execute("VACUUM ANALYZE chat_chatevent")
        self.stdout.write(
            f"built {Chat.objects.count():,} chats in {built_chats:.1f} s, {events:,} events; "
            f"with VACUUM ANALYZE {time.perf_counter() - started:.1f} s"
        )

    def _timed(self, run, runs: int) -> tuple[float, object]:
        times, result = [], None
        for _ in range(runs):
            started = time.perf_counter()
            result = run()
            times.append(time.perf_counter() - started)
        return statistics.median(times), result

    def handle(self, *args, database_name, chats, days, queues, agents, runs, explain_lines, reuse, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_reports runs on PostgreSQL only: set DATABASE_URL=postgres://…")
        today = site_today()
        period = DateRange(today - timedelta(days=days - 1), today)
        if reuse:
            connection.close()
            connection.settings_dict["NAME"] = database_name
            call_command("migrate", verbosity=0, interactive=False)
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE chat_chat")
        else:
            self._use_own_database(database_name)
            self._build(chats=chats, period=period, queues=queues, agents=agents)

        def baseline():
            return chats_in(period).count()

        base, counted = self._timed(baseline, runs)
        loadavg = Path("/proc/loadavg")
        load = " ".join(loadavg.read_text().split()[:3]) if loadavg.exists() else "?"
        self.stdout.write(
            f"\n{days} days {period.date_from} – {period.date_to}, {counted:,} customer chats; median of {runs} runs; "
            f"machine load average {load}"
        )
        self.stdout.write(f"  {'baseline: SELECT count(*) of the same chats':<46} {base:7.3f} s")
        slowest = 0.0
        plans = {}
        for name in REPORTS:
            with CaptureQueriesContext(connection) as queries:
                elapsed, result = self._timed(lambda name=name: report_run(name, period), runs)
            slowest = max(slowest, elapsed)
            self.stdout.write(
                f"  {name:<46} {elapsed:7.3f} s  ({elapsed / base if base else 0:5.1f}× baseline, "
                f"{len(result.rows)} rows)"
            )
            plans[name] = max((q["sql"] for q in queries.captured_queries), key=len)
        self.stdout.write("\ntop of each report's EXPLAIN ANALYZE:")
        for name, sql in plans.items():
            with report_session(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN ANALYZE " + sql)
                lines = [row[0] for row in cursor.fetchall()]
            self.stdout.write(f"  {name}:")
            for line in lines[:explain_lines]:
                self.stdout.write(f"    {line}")
            self.stdout.write(f"    {lines[-1]}")
        self.stdout.write(
            f"\ngoal: every report over {days} days under {GOAL_SECONDS:.0f} s: slowest {slowest:.3f} s -> "
            f"{'met' if slowest < GOAL_SECONDS else 'NOT MET'}"
        )

"""Benchmark the routing engine on PostgreSQL.

    manage.py bench_routing [--agents 1000 --queues 20 --chats 10000 --processes 1,4 --database parley_bench]

Creates (drops and re-creates) its own database on the PostgreSQL server of
DATABASE_URL, migrates it, builds the scenario (agents in queues with priorities,
customers with owners and VIPs, waiting chats) and prints:

* per-assignment latency (p50/p95/p99) of event-driven dispatch — one
  ``dispatch(limit=1)`` per assignment, as after a chat starts — and its queries;
* queries per assignment with 100 and with 1,000 agents (it must not grow);
* assignments per second of a full ``dispatch()`` run with 1 and with N processes
  dispatching the same chats at once (each a separate OS process), and a check of
  the invariant afterwards.

No timing is asserted anywhere; the figures are for people.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from agents.models import Presence, PresenceEvent, User
from chat.models import Chat, ChatEvent, ChatSettings, Message, Queue, QueueMembership
from chat.services.dispatch import dispatch
from chat.services.live.publisher import publisher
from crm.models import Customer


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


class Command(BaseCommand):
    help = "Benchmark routing on PostgreSQL: latency, queries per assignment, assignments per second."

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=1000)
        parser.add_argument("--queues", type=int, default=20)
        parser.add_argument("--chats", type=int, default=10000)
        parser.add_argument("--processes", default="1,4", help="comma-separated process counts, e.g. 1,4")
        parser.add_argument(
            "--max-chats",
            type=int,
            default=0,
            help="max concurrent chats per agent (default: enough for every chat to be served)",
        )
        parser.add_argument("--latency-samples", type=int, default=1000)
        parser.add_argument("--database", default="parley_bench", help="the database this command creates and uses")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--worker", action="store_true", help=argparse_suppress())
        parser.add_argument("--start-at", type=float, default=0.0, help=argparse_suppress())

    # --- entry ---------------------------------------------------------------

    def handle(self, *args, **opts):
        # The timed rules and dispatch run here as in a Celery worker: their live events leave in the background,
        # as there (chat/services/live/publisher.py). Give CACHE_URL and CHANNEL_LAYER_URL (Redis) to measure the
        # production shape; without them the version counters are rows of the database cache.
        publisher.enable()
        self.stdout.write(
            f"live events: {settings.CHANNEL_LAYERS['default']['BACKEND'].rsplit('.', 1)[-1]}, version counters: "
            f"{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}"
        )
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_routing measures the PostgreSQL routing path and refuses to run on "
                f"{connection.vendor}. Set DATABASE_URL=postgres://user@host:5432/db and run it again."
            )
        # Measure what production runs: without DEBUG's query log (workers get DEBUG=0 in their environment).
        settings.DEBUG = False
        if opts["worker"]:
            return self._worker(opts["start_at"])
        self._use_fresh_database(opts["database"])
        self.stdout.write(
            f"bench_routing on PostgreSQL database {opts['database']!r}: {opts['agents']} agents, "
            f"{opts['queues']} queues, {opts['chats']} waiting chats"
        )
        self._query_scaling(opts)
        self._latency(opts)
        for processes in [int(p) for p in str(opts["processes"]).split(",") if p.strip()]:
            self._throughput(opts, processes)

    # --- database ----------------------------------------------------------------

    def _use_fresh_database(self, name: str) -> None:
        if not name.replace("_", "").isalnum():
            raise CommandError("--database must be a plain name (letters, digits, underscores).")
        if name == connection.settings_dict["NAME"]:
            raise CommandError("--database must differ from the database in DATABASE_URL: it is dropped first.")
        # The server's maintenance database: DATABASE_URL's own database need not exist.
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        connection.settings_dict["NAME"] = name
        settings.DATABASES["default"]["NAME"] = name
        call_command("migrate", verbosity=0, interactive=False)
        call_command("createcachetable", verbosity=0)  # the live layer's version counters (without CACHE_URL)

    def _database_url(self) -> str:
        s = connection.settings_dict
        auth = s["USER"] or "postgres"
        if s.get("PASSWORD"):
            auth += f":{s['PASSWORD']}"
        return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"

    # --- scenario ------------------------------------------------------------------

    def _build(self, *, agents: int, queues: int, chats: int, max_chats: int, seed: int) -> None:
        rng = random.Random(seed)
        Message.objects.all().delete()
        ChatEvent.objects.all().delete()
        Chat.objects.all().delete()
        Customer.objects.all().delete()
        QueueMembership.objects.all().delete()
        Queue.objects.all().delete()
        PresenceEvent.objects.all().delete()
        Presence.objects.all().delete()
        User.objects.all().delete()

        card = ChatSettings.load()
        card.max_concurrent_chats = max_chats or max(3, math.ceil(chats / max(agents, 1)))
        card.welcome_message_when = ChatSettings.WelcomeWhen.NEVER
        card.save()
        queue_rows = Queue.objects.bulk_create([Queue(name=f"Queue {i}") for i in range(queues)])
        users = User.objects.bulk_create(
            [User(username=f"bench{i}", first_name=f"Bench {i}") for i in range(agents)], batch_size=2000
        )
        Presence.objects.bulk_create(
            [Presence(agent=u, logged_in=True, on_phone_call=rng.random() < 0.1) for u in users], batch_size=2000
        )
        QueueMembership.objects.bulk_create(
            [
                QueueMembership(agent=u, queue=q, priority=rng.randint(0, 5))
                for u in users
                for q in rng.sample(queue_rows, min(len(queue_rows), rng.randint(1, 3)))
            ],
            batch_size=5000,
        )
        customers = Customer.objects.bulk_create(
            [
                Customer(
                    name=f"Customer {i}",
                    email=f"customer{i}@bench.example",
                    vip=rng.random() < 0.1,
                    owner=rng.choice(users) if rng.random() < 0.2 else None,
                )
                for i in range(max(chats // 5, 1))
            ],
            batch_size=5000,
        )
        now = timezone.now()
        Chat.objects.bulk_create(
            [
                Chat(
                    channel="website",
                    status="waiting",
                    queue=rng.choice(queue_rows),
                    customer=rng.choice(customers) if rng.random() < 0.5 else None,
                    visitor_email=f"visitor{i}@bench.example",
                    queued_at=now - timedelta(seconds=chats - i),
                    created_at=now - timedelta(seconds=chats - i),
                )
                for i in range(chats)
            ],
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    # --- measurements -----------------------------------------------------------------

    def _event_driven(self, samples: int) -> tuple[list[float], list[int]]:
        latencies, queries = [], []
        counter = {"n": 0}

        def count(execute, sql, params, many, context):
            counter["n"] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            for _ in range(samples):
                counter["n"] = 0
                started = time.perf_counter()
                made = dispatch(limit=1)
                elapsed = time.perf_counter() - started
                if not made:
                    break
                latencies.append(elapsed * 1000)
                queries.append(counter["n"])
        return latencies, queries

    def _query_scaling(self, opts) -> None:
        self.stdout.write("\nQueries per assignment (event-driven dispatch, one chat per call):")
        for agents in (100, 1000):
            self._build(
                agents=agents, queues=opts["queues"], chats=2000, max_chats=opts["max_chats"], seed=opts["seed"]
            )
            _lat, queries = self._event_driven(200)
            counts = Counter(queries)
            self.stdout.write(
                f"  {agents:>5} agents: {sum(queries) / len(queries):.2f} queries per assignment "
                f"(distribution {dict(sorted(counts.items()))})"
            )

    def _latency(self, opts) -> None:
        self._build(
            agents=opts["agents"],
            queues=opts["queues"],
            chats=opts["chats"],
            max_chats=opts["max_chats"],
            seed=opts["seed"],
        )
        latencies, queries = self._event_driven(opts["latency_samples"])
        self.stdout.write(
            f"\nPer-assignment latency, {len(latencies)} assignments, {opts['agents']} agents, "
            f"{opts['chats']} waiting chats:\n"
            f"  p50 {percentile(latencies, 50):.2f} ms   p95 {percentile(latencies, 95):.2f} ms   "
            f"p99 {percentile(latencies, 99):.2f} ms   max {max(latencies):.2f} ms   "
            f"queries per assignment {sum(queries) / len(queries):.2f}"
        )

    def _throughput(self, opts, processes: int) -> None:
        self._build(
            agents=opts["agents"],
            queues=opts["queues"],
            chats=opts["chats"],
            max_chats=opts["max_chats"],
            seed=opts["seed"],
        )
        env = {**os.environ, "DATABASE_URL": self._database_url(), "DEBUG": "0"}
        start_at = time.time() + 3.0 + processes * 0.5  # every worker has set Django up by then
        manage = [
            sys.executable,
            str(settings.BASE_DIR / "manage.py"),
            "bench_routing",
            "--worker",
            "--start-at",
            str(start_at),
        ]
        procs = [
            subprocess.Popen(manage, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(processes)
        ]
        results = []
        for proc in procs:
            out, err = proc.communicate()
            if proc.returncode != 0:
                raise CommandError(f"worker failed:\n{err[-3000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        assigned = sum(r["assigned"] for r in results)
        wall = max(r["end"] for r in results) - min(r["start"] for r in results)
        queries = sum(r["queries"] for r in results)
        # The invariant, checked after the run.
        max_chats = ChatSettings.load().max_concurrent_chats
        real = Counter(Chat.objects.filter(status="assigned").values_list("agent_id", flat=True))
        counters_ok = all(p.open_chats == real[p.agent_id] <= max_chats for p in Presence.objects.all())
        once = ChatEvent.objects.filter(kind="assigned").count() == Chat.objects.filter(status="assigned").count()
        self.stdout.write(
            f"\nThroughput with {processes} process{'es' if processes > 1 else ''}: {assigned} assignments in "
            f"{wall:.2f} s = {assigned / wall:.0f} assignments/s "
            f"({queries / max(assigned, 1):.2f} queries per assignment; "
            f"left waiting {Chat.objects.filter(status='waiting').count()}); "
            f"invariant: counters {'OK' if counters_ok else 'BROKEN'}, "
            f"one assignment per chat {'OK' if once else 'BROKEN'}"
        )

    def _worker(self, start_at: float) -> None:
        connection.ensure_connection()
        while time.time() < start_at:
            time.sleep(0.005)
        counter = {"n": 0}

        def count(execute, sql, params, many, context):
            counter["n"] += 1
            return execute(sql, params, many, context)

        start = time.time()
        assigned = 0
        with connection.execute_wrapper(count):
            while True:
                made = dispatch()
                assigned += made
                if not made:
                    break
        end = time.time()
        self.stdout.write(json.dumps({"assigned": assigned, "start": start, "end": end, "queries": counter["n"]}))


def argparse_suppress():
    return argparse.SUPPRESS

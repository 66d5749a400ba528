"""Benchmark the push channel's connections at scale on one ASGI process (issue 13, point 6; docs/live.md).

    manage.py bench_live [--agents 1000 --widgets 5000 --queues 20 --rate 100 --seconds 60 --idle-seconds 30
                          --database parley_bench_live --redis-url redis://127.0.0.1:6379/0]

In one run: builds its own PostgreSQL database (created for the run, dropped after it unless --keep; an existing
database it did not create is refused) with agents logged in by sessions and open website chats with visitor tokens;
measures the Redis and channel-layer round trips with no server (the latency baseline); starts ONE uvicorn process
on the production settings (throwaway secrets, Redis for the channel layer and the cache, persistent database
connections); measures it idle before any connection (the CPU and memory baseline); opens every agent's inbox
socket and every visitor's widget socket from client processes; measures it idle with all of them open; publishes
``--rate`` chat messages a second into random chats from a separate process for ``--seconds``; and prints a table:
connections held, the server's CPU (% of one core) and RSS, delivery latency from publish to receipt per side.

No timing is asserted anywhere; the figures are for people.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import tempfile
import time
from pathlib import Path

import redis
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from chat.management.bench_live import processes as proc
from chat.management.bench_live.data import (
    bench_database_drop,
    bench_database_url,
    bench_database_use,
    bench_scenario_build,
)
from chat.management.bench_live.measure import deliveries, summary_ms, watch
from chat.management.bench_live.publisher import baseline_run, publish_run
from chat.management.bench_live.report import held_text, report_table


class Command(BaseCommand):
    help = "Benchmark the push channel: thousands of WebSockets on one ASGI process, CPU, memory and latency."

    def add_arguments(self, parser):
        parser.add_argument("--agents", type=int, default=1000)
        parser.add_argument("--widgets", type=int, default=5000, help="open website chats, one widget socket each")
        parser.add_argument("--queues", type=int, default=20)
        parser.add_argument("--rate", type=float, default=100, help="chat messages published per second")
        parser.add_argument("--seconds", type=float, default=60, help="how long to publish")
        parser.add_argument("--idle-seconds", type=float, default=30, help="the idle window, every socket open")
        parser.add_argument("--baseline-seconds", type=float, default=10, help="the server's window before sockets")
        parser.add_argument("--clients", type=int, default=2, help="client processes sharing the sockets")
        parser.add_argument("--concurrency", type=int, default=100, help="handshakes in flight per client process")
        parser.add_argument("--heartbeat", type=float, default=20, help="the inbox page's ping interval (s)")
        parser.add_argument("--gap", type=float, default=5, help="a chat is not published again within (s)")
        parser.add_argument("--baseline-samples", type=int, default=200)
        parser.add_argument("--database", default="parley_bench_live", help="the database this command creates")
        parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
        parser.add_argument("--prefix", default="", help="channel-layer prefix (default: parley-bench-<pid>)")
        parser.add_argument("--server-arg", action="append", default=[], help="an extra uvicorn argument")
        parser.add_argument("--keep", action="store_true", help="keep the database and the work folder (logs)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--role", choices=["publish", "baseline"], help=argparse.SUPPRESS)
        parser.add_argument("--spec", help=argparse.SUPPRESS)
        parser.add_argument("--out", help=argparse.SUPPRESS)
        parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)

    def handle(self, *args, **opts):
        if opts["role"] == "publish":
            return publish_run(
                spec_path=opts["spec"],
                out_path=opts["out"],
                rate=opts["rate"],
                seconds=opts["seconds"],
                start_at=opts["start_at"],
                gap=opts["gap"],
                seed=opts["seed"],
            )
        if opts["role"] == "baseline":
            return baseline_run(
                redis_url=opts["redis_url"],
                prefix=opts["prefix"],
                samples=opts["baseline_samples"],
                rate=opts["rate"],
                out_path=opts["out"],
            )
        if connection.vendor != "postgresql":
            raise CommandError("bench_live needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/db.")
        opts["prefix"] = opts["prefix"] or f"parley-bench-{os.getpid()}"
        proc.open_files_raise(opts["agents"] + opts["widgets"] + 1024)
        work = Path(tempfile.mkdtemp(prefix="bench_live-"))
        started: list = []
        try:
            self._run(opts, work, started)
        finally:
            for process in reversed(started):
                proc.stop(process)
            self._redis_clean(opts)
            if opts["keep"]:
                self.stdout.write(f"Work folder and database {opts['database']!r} kept: {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
                bench_database_drop(opts["database"])

    def _say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _run(self, opts: dict, work: Path, started: list) -> None:
        t0 = time.monotonic()
        self._say(
            f"bench_live: {opts['agents']} agents, {opts['widgets']} widgets, {opts['queues']} queues; "
            f"database {opts['database']!r}, Redis {opts['redis_url']} (prefix {opts['prefix']})"
        )
        bench_database_use(opts["database"])
        secret_key = secrets.token_urlsafe(50)
        spec = bench_scenario_build(
            agents=opts["agents"],
            widgets=opts["widgets"],
            queues=opts["queues"],
            secret_key=secret_key,
            seed=opts["seed"],
        )
        (work / "spec.json").write_text(json.dumps(spec))
        self._say(f"Data ready in {time.monotonic() - t0:.1f} s.")
        env = proc.server_env(
            database_url=bench_database_url(), redis_url=opts["redis_url"], prefix=opts["prefix"], secret_key=secret_key
        )
        baseline = self._baseline(opts, env, work)

        port = proc.free_port()
        server = proc.server_start(env=env, port=port, log=work / "server.log", extra=opts["server_arg"])
        started.append(server)
        time.sleep(2)  # the first imports and the layer's first connection settle
        before = watch({"server": server.pid}, opts["baseline_seconds"])["server"]
        self._say(
            f"Server up (pid {server.pid}); idle before any socket: {before['cpu']:.1f} % CPU, {before['rss']:.0f} MB."
        )

        clients = self._clients_start(opts, spec, env, port, work, started)
        opened = [proc.client_ask(client, None, timeout=900) for client in clients]
        self._say(f"Sockets opened in {max(line['seconds'] for line in opened):.1f} s: {held_text(opened, opts)}.")
        time.sleep(5)  # the connects' database writes and group joins finish
        pids = {"server": server.pid, **{f"client{i}": c.pid for i, c in enumerate(clients)}}
        idle = watch(pids, opts["idle_seconds"])
        self._say(
            f"Idle with every socket open ({opts['idle_seconds']:.0f} s): {idle['server']['cpu']:.1f} % CPU, "
            f"{idle['server']['rss']:.0f} MB."
        )

        start_at = time.monotonic() + 6  # the publisher's Django starts meanwhile
        publisher = proc.manage_run(
            [
                "--role",
                "publish",
                "--spec",
                str(work / "spec.json"),
                "--out",
                str(work / "published.json"),
                "--rate",
                str(opts["rate"]),
                "--seconds",
                str(opts["seconds"]),
                "--gap",
                str(opts["gap"]),
                "--start-at",
                repr(start_at),
                "--seed",
                str(opts["seed"]),
            ],
            env=env,
        )
        started.append(publisher)
        time.sleep(max(0.0, start_at - time.monotonic()))
        load = watch({**pids, "publisher": publisher.pid}, opts["seconds"])
        if publisher.wait(timeout=opts["seconds"] + 120) != 0:
            raise CommandError("The publisher failed (see its output above).")
        time.sleep(3)  # the last deliveries arrive
        statuses = [proc.client_ask(client, "status", timeout=60) for client in clients]
        receipts = {"agent": [], "visitor": []}
        for i, client in enumerate(clients):
            dump = work / f"receipts{i}.json"
            proc.client_ask(client, f"dump {dump}", timeout=120)
            for side, rows in json.loads(dump.read_text()).items():
                receipts[side] += rows
        for client in clients:
            proc.client_quit(client)
        published = json.loads((work / "published.json").read_text())
        held = self._held_sets(statuses, spec)
        results = {side: deliveries(published, receipts[side], held[side]) for side in ("visitor", "agent")}
        self._report(opts, before, idle, load, opened, statuses, published, results, baseline)

    def _baseline(self, opts: dict, env: dict, work: Path) -> dict:
        out = work / "baseline.json"
        baseline = proc.manage_run(
            [
                "--role",
                "baseline",
                "--out",
                str(out),
                "--redis-url",
                opts["redis_url"],
                "--prefix",
                opts["prefix"],
                "--rate",
                str(opts["rate"]),
                "--baseline-samples",
                str(opts["baseline_samples"]),
            ],
            env=env,
        )
        if baseline.wait(timeout=300) != 0:
            raise CommandError("The baseline measurement failed (see its output above).")
        return {name: summary_ms(times) for name, times in json.loads(out.read_text()).items()}

    def _clients_start(self, opts, spec, env, port, work, started) -> list:
        count = max(1, opts["clients"])
        clients = []
        for i in range(count):
            part = {
                "url": f"ws://127.0.0.1:{port}",
                "inbox_origin": f"http://127.0.0.1:{port}",
                "widget_origin": proc.WIDGET_ORIGIN,
                "cookie_name": settings.SESSION_COOKIE_NAME,
                "heartbeat": opts["heartbeat"],
                "concurrency": opts["concurrency"],
                "ready_timeout": 120,
                "agents": spec["agents"][i::count],
                "widgets": spec["widgets"][i::count],
            }
            path = work / f"client{i}.json"
            path.write_text(json.dumps(part))
            clients.append(proc.client_start(path, env=env))
            started.append(clients[-1])
        return clients

    @staticmethod
    def _held_sets(statuses: list[dict], spec: dict) -> dict[str, set[int]]:
        """The chats whose widget socket, and whose agent's inbox socket, were still open at the end."""
        agents = {agent for status in statuses for agent in status["open_agents"]}
        return {
            "visitor": {chat for status in statuses for chat in status["open_widgets"]},
            "agent": {chat_id for chat_id, _token, agent_id in spec["widgets"] if agent_id in agents},
        }

    def _redis_clean(self, opts: dict) -> None:
        try:
            client = redis.Redis.from_url(opts["redis_url"])
            for key in client.scan_iter(match=f"{opts['prefix']}*", count=1000):
                client.delete(key)
        except redis.RedisError:
            pass

    def _report(self, opts, before, idle, load, opened, statuses, published, results, baseline) -> None:
        self.stdout.write(report_table(opts, before, idle, load, opened, statuses, published, results, baseline))

"""Benchmark of the hot web paths on the production stack (issue 13, point 5).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/parley .venv/bin/python manage.py bench_web \\
        --cache-url redis://127.0.0.1:6379/11

Recreates its own database (``--database-name``, default ``parley_bench_web``; the database of DATABASE_URL
only serves to create it), then, in a child process under ``config.settings.production`` (test secrets made
up here, DEBUG off, the Redis cache of ``--cache-url``, persistent connections), migrates it, collects the
static files, seeds an agent with a chat assigned to him and a visitor token, and starts one
``uvicorn config.asgi:application`` worker with a bare JsonResponse view added (config/bench_urls.py). Keep-alive
clients then measure, row by row: that bare view, the widget's message GET that finds nothing, the inbox's
sidebar and open-chat polls with nothing new, the widget's message POST and an agent's reply from the inbox;
the table gives requests per second, p50/p95 and each row's rate as a share of the bare view's
(docs/performance.md).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from chat.management import webbench
from chat.management.webbench import Call

VISITOR_KEY = "bench-visitor-key-0001"


class Command(BaseCommand):
    help = "Requests per second and p50/p95 of the hot web paths against a bare view, on the production stack."

    def add_arguments(self, parser):
        parser.add_argument("--database-name", default="parley_bench_web")
        parser.add_argument("--cache-url", default=os.environ.get("CACHE_URL") or "redis://127.0.0.1:6379/0")
        parser.add_argument(
            "--channel-layer-url", default="",
            help="the push channel's Redis (default: the cache's server, under the key prefix parley-bench)",
        )
        parser.add_argument("--port", type=int, default=0, help="0: a free port")
        parser.add_argument("--seconds", type=float, default=5.0, help="measured time per row")
        parser.add_argument("--warmup", type=float, default=1.0, help="unmeasured time before each row")
        parser.add_argument("--concurrency", type=int, default=8, help="keep-alive clients per row")
        parser.add_argument(
            "--rows", default="",
            help="only the rows whose names contain one of these comma-separated words (the bare view always runs)",
        )
        parser.add_argument("--seed", action="store_true", help="(internal) seed the server's database")

    def handle(self, *args, **options):
        if options["seed"]:
            return self._seed()
        env, port = self._server_env(options)
        seeded = subprocess.run(
            [sys.executable, "manage.py", "bench_web", "--seed"],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
        )
        if seeded.returncode:
            raise CommandError(f"Seeding failed:\n{seeded.stdout}\n{seeded.stderr}")
        seed = json.loads(seeded.stdout.strip().splitlines()[-1])
        with tempfile.NamedTemporaryFile("w+", prefix="bench-web-uvicorn-", suffix=".log") as log:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "config.asgi:application",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                self._wait_for(port, server, log.name)
                calls = _chosen(self._calls(port, seed), options["rows"])
                rows = [
                    webbench.run_row(
                        name,
                        call,
                        port=port,
                        seconds=options["seconds"],
                        warmup=options["warmup"],
                        concurrency=options["concurrency"],
                    )
                    for name, call in calls
                ]
            finally:
                server.terminate()
                server.wait(timeout=10)
        self.stdout.write(
            f"bench_web: uvicorn, 1 worker, PostgreSQL ({options['database_name']}), cache {options['cache_url']}, "
            f"{options['concurrency']} keep-alive clients, {options['seconds']:g} s per row"
        )
        self.stdout.write(webbench.table(rows))

    # --- the server's environment and database ---------------------------------------------------------

    def _server_env(self, options) -> tuple[dict[str, str], int]:
        conn = connections["default"]
        if conn.vendor != "postgresql":
            raise CommandError("bench_web runs on PostgreSQL only: set DATABASE_URL=postgres://…")
        name = options["database_name"]
        if name == conn.settings_dict["NAME"]:
            raise CommandError("Give bench_web a database of its own (--database-name): it drops and recreates it.")
        with conn._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{name}"')
        db = conn.settings_dict
        auth = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else "")
        database_url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"
        port = options["port"] or _free_port()
        scratch = Path(tempfile.mkdtemp(prefix="bench-web-"))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url,
            "DATABASE_CONN_MAX_AGE": "600",
            "CACHE_URL": options["cache_url"],
            # The services publish every change to the push channel, as in production.
            "CHANNEL_LAYER_URL": options["channel_layer_url"] or options["cache_url"],
            "CHANNEL_LAYER_PREFIX": "parley-bench",
            "CELERY_BROKER_URL": "memory://",
            "MESSENGER_ENABLED": "false",
            "DEFAULT_FROM_EMAIL": "Parley bench <bench@example.com>",  # production refuses to start without one
            "DEBUG": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_ROOT": str(scratch / "static"),
            "MEDIA_ROOT": str(scratch / "media"),
            "WIDGET_THROTTLE_VISITOR": "100000000/min",
            "WIDGET_THROTTLE_IP": "100000000/min",
            "PARLEY_BENCH_URLS": "1",
        }
        return env, port

    def _seed(self) -> None:
        """In the server's environment: the schema, the static files and what the rows need."""
        from django.core.cache import cache
        from django.core.management import call_command

        from agents.models import User
        from agents.services import presence_login
        from chat.services.chats import chat_assign
        from chat.services.messages import message_post
        from chat.services.queues import queue_create, queue_member_set
        from chat.services.visitors import visitor_chat_start

        call_command("migrate", verbosity=0, interactive=False)
        call_command("collectstatic", verbosity=0, interactive=False)
        cache.clear()
        password = secrets.token_urlsafe(16)
        queue = queue_create(name="Bench")
        agent = User.objects.create_user(username="bench-agent", password=password, first_name="Bench")
        presence_login(agent_id=agent.pk)
        queue_member_set(queue_id=queue.pk, agent_id=agent.pk)
        chat, token = visitor_chat_start(visitor_key=VISITOR_KEY, queue_id=queue.pk, visitor_name="Bench visitor")
        chat_assign(chat_id=chat.pk, agent_id=agent.pk)
        message_post(chat_id=chat.pk, sender="client", body="Hello, is anybody there?")
        self.stdout.write(
            json.dumps({"username": agent.username, "password": password, "chat": chat.pk, "token": token})
        )

    def _wait_for(self, port: int, server: subprocess.Popen, log: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise CommandError(f"The server stopped:\n{Path(log).read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise CommandError(f"The server did not answer within 30 s:\n{Path(log).read_text()}")

    # --- the rows' requests -----------------------------------------------------------------------------

    def _calls(self, port: int, seed: dict) -> list[tuple[str, Call]]:
        conn = webbench.http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        chat, token = seed["chat"], seed["token"]
        jar = self._login(conn, seed)
        cookies = {"Cookie": webbench.cookie_header(jar)}
        htmx = {**cookies, "HX-Request": "true"}
        status, _headers, page = webbench.send(conn, Call("GET", f"/inbox/chats/{chat}/", cookies))
        if status != 200:
            raise CommandError(f"The chat page answered {status}")
        page = page.decode()
        sidebar = self._settled(conn, webbench.poll_path(page, "sidebar-live"), "sidebar-live", htmx)
        chat_poll = self._settled(conn, webbench.poll_path(page, "chat-poll"), "chat-poll", htmx)
        visitor = {"X-Visitor-Token": token}
        messages = f"/widget/v1/chats/{chat}/messages/"
        status, headers, body = webbench.send(conn, Call("GET", messages, visitor))
        last = max(message["id"] for message in json.loads(body))
        query = {"since": last, **({"v": headers["x-parley-version"]} if "x-parley-version" in headers else {})}
        conn.close()
        reply = urlencode({"body": "Thank you, I am looking into it."}).encode()
        return [
            ("bare JsonResponse view", Call("GET", "/bench/bare/")),
            ("widget: message GET, nothing new", Call("GET", f"{messages}?{urlencode(query)}", visitor)),
            ("inbox: sidebar poll, nothing new", Call("GET", sidebar, htmx)),
            ("inbox: open chat's poll, nothing new", Call("GET", chat_poll, htmx)),
            (
                "widget: message POST",
                Call(
                    "POST",
                    messages,
                    {**visitor, "Content-Type": "application/json"},
                    webbench.json_body({"body": "Is my order on its way?"}),
                ),
            ),
            (
                "inbox: agent reply",
                Call(
                    "POST",
                    f"/inbox/chats/{chat}/messages/",
                    {**htmx, "X-CSRFToken": jar["csrftoken"], "Content-Type": "application/x-www-form-urlencoded"},
                    reply,
                ),
            ),
        ]

    def _login(self, conn, seed: dict) -> dict[str, str]:
        conn.request("GET", "/inbox/login/")
        response = conn.getresponse()
        jar = webbench.cookies_from(response.getheaders())
        form = urlencode(
            {
                "username": seed["username"],
                "password": seed["password"],
                "csrfmiddlewaretoken": webbench.csrf_field(response.read().decode()),
            }
        ).encode()
        conn.request(
            "POST",
            "/inbox/login/",
            body=form,
            headers={"Cookie": webbench.cookie_header(jar), "Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
        jar.update(webbench.cookies_from(response.getheaders()))
        if response.status != 302 or "sessionid" not in jar:
            raise CommandError(f"The agent's login answered {response.status}")
        return jar

    def _settled(self, conn, path: str, element_id: str, headers: dict[str, str]) -> str:
        """The poll's address once it answers 204 (a page just rendered may carry versions that its own
        read mark moved: the first poll hands out the current ones)."""
        for _attempt in range(5):
            status, _headers, body = webbench.send(conn, Call("GET", path, headers))
            if status == 204:
                return path
            path = webbench.poll_path(body.decode(), element_id)
        raise CommandError(f"The {element_id} poll never settled to 204")


def _chosen(calls: list[tuple[str, Call]], rows: str) -> list[tuple[str, Call]]:
    words = [word.strip().lower() for word in rows.split(",") if word.strip()]
    if not words:
        return calls
    return [calls[0], *(row for row in calls[1:] if any(word in row[0].lower() for word in words))]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]

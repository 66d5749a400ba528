"""bench_live's processes: the ASGI server under the production settings, the client processes, the publisher."""

from __future__ import annotations

import json
import os
import resource
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

# What a browser on Parley's own page and a host page of the widget send as Origin.
WIDGET_ORIGIN = "http://widget-host.bench.test"


def open_files_raise(needed: int) -> int:
    """Raise this process's open-files limit (its children inherit it) to the hard limit; refuse when even that
    is below ``needed``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        raise CommandError(f"The open-files hard limit is {hard}; this run needs about {needed} (ulimit -Hn).")
    target = hard if hard != resource.RLIM_INFINITY else max(soft, needed)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(*, database_url: str, redis_url: str, prefix: str, secret_key: str) -> dict[str, str]:
    """The production settings with throwaway secrets: DEBUG off, persistent database connections, Redis as the
    channel layer and the cache, only 127.0.0.1 for the inbox and the bench's widget origin."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TEST_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY=secret_key,
        DATABASE_URL=database_url,
        DATABASE_CONN_MAX_AGE="600",
        CHANNEL_LAYER_URL=redis_url,
        CHANNEL_LAYER_PREFIX=prefix,
        CACHE_URL=redis_url,
        CELERY_BROKER_URL=redis_url,
        ALLOWED_HOSTS="127.0.0.1",
        WIDGET_ALLOWED_ORIGINS=WIDGET_ORIGIN,
        SECURE_SSL_REDIRECT="false",
        MESSENGER_ENABLED="false",
        DEFAULT_FROM_EMAIL="Parley bench <bench@example.com>",  # production refuses to start without a sender
        DEBUG="false",
        PYTHONUNBUFFERED="1",
    )
    return env


def server_start(*, env: dict, port: int, log: Path, extra: list[str]) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).with_name("uvicorn")),
        "config.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        *extra,
    ]
    server = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CommandError(f"The ASGI server exited ({server.returncode}):\n{log.read_text()[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return server
        except OSError:
            time.sleep(0.2)
    raise CommandError(f"The ASGI server did not listen within 60 s:\n{log.read_text()[-3000:]}")


def manage_run(args: list[str], *, env: dict, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "bench_live", *args], cwd=settings.BASE_DIR, env=env, **kwargs
    )


def client_start(spec_path: Path, *, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "chat.management.bench_live.client", str(spec_path)],
        cwd=settings.BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def client_ask(client: subprocess.Popen, line: str | None, *, timeout: float) -> dict:
    """Send ``line`` (if any) to a client process and return its next JSON line."""
    if line is not None:
        client.stdin.write(line + "\n")
        client.stdin.flush()
    ready, _, _ = select.select([client.stdout], [], [], timeout)
    answer = client.stdout.readline() if ready else ""
    if not answer:
        raise CommandError(f"A client process did not answer {line or 'its start'!r} within {timeout:.0f} s.")
    return json.loads(answer)


def client_quit(client: subprocess.Popen) -> None:
    """Close a client's sockets and let it exit (its stdin closed ends its reading thread)."""
    client_ask(client, "quit", timeout=120)
    client.stdin.close()
    client.wait(30)


def stop(process: subprocess.Popen | None, *, timeout: float = 20) -> None:
    """End a process this command started: SIGINT (uvicorn's graceful stop), then SIGKILL."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()

#!/usr/bin/env python3
"""Parley's two commands, on a fresh clone with nothing but Python and pip.

    python3 parley.py start           # web + Celery worker + Celery beat, demo data, SQLite, embedded broker
    python3 parley.py test            # the whole test suite on PostgreSQL (DATABASE_URL, default 127.0.0.1:5432)
    python3 parley.py test --fast     # the fast tier: everything but the tests marked slow (-m "not slow")
    python3 parley.py test --sqlite   # the SQLite leg: services, routing and rules tests on SQLite

Extra arguments go to pytest. The tiers are described in docs/testing.md.

Both install uv when it is missing and let it build the environment from uv.lock.
Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".tools"


def say(text: str) -> None:
    print(f"[parley] {text}", flush=True)


def _works(cmd: list[str]) -> bool:
    try:
        return subprocess.run([*cmd, "--version"], capture_output=True, check=False).returncode == 0
    except OSError:
        return False


def find_uv() -> list[str]:
    """uv on PATH, uv inside this Python, or uv installed into .tools/ with pip."""
    on_path = shutil.which("uv")
    if on_path and _works([on_path]):
        return [on_path]
    if _works([sys.executable, "-m", "uv"]):
        return [sys.executable, "-m", "uv"]
    local = TOOLS / "bin" / "uv"
    if not _works([str(local)]):
        say("uv not found: installing it into .tools/ with pip")
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS)], check=True)
        subprocess.run([str(TOOLS / "bin" / "python"), "-m", "pip", "install", "-q", "uv"], check=True)
    return [str(local)]


def uv_env() -> dict[str, str]:
    env = dict(os.environ)
    # Only registries are reachable: use an installed Python, never download one.
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    env.pop("VIRTUAL_ENV", None)
    return env


def sync(uv: list[str]) -> None:
    say("preparing the environment (uv sync --locked)")
    subprocess.run([*uv, "sync", "--locked"], cwd=ROOT, env=uv_env(), check=True)


def venv_bin(name: str) -> str:
    return str(ROOT / ".venv" / "bin" / name)


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run([venv_bin("python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


def start_env() -> dict[str, str]:
    """The environment of ``start``'s processes: the local settings unless DJANGO_SETTINGS_MODULE says otherwise."""
    env = uv_env()
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def web_host(env: dict[str, str]) -> str:
    """The web server's address: PARLEY_HOST (default 127.0.0.1)."""
    return env.get("PARLEY_HOST") or "127.0.0.1"


def web_address(env: dict[str, str]) -> str:
    """Where the web server listens, as a URL host part: PARLEY_HOST and PARLEY_PORT (default 8000)."""
    host = web_host(env)
    port = env.get("PARLEY_PORT", "8000")
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def start_commands(env: dict[str, str]) -> dict[str, list[str]]:
    """The processes of ``start``. The web server is the ASGI server (uvicorn: the pages, the API and the
    push channel's WebSockets in one process). It listens on 127.0.0.1 (this machine only: the demo's
    passwords and secrets are public) unless PARLEY_HOST names another address (0.0.0.0: every interface)."""
    host_port = env.get("PARLEY_DEMO_HOST_PORT", "8001")
    commands = {
        "web": [venv_bin("uvicorn"), "config.asgi:application", "--host", web_host(env),
                "--port", env.get("PARLEY_PORT", "8000"), "--no-access-log"],
        "worker": [venv_bin("celery"), "-A", "config", "worker", "--pool=threads", "--concurrency=4",
                   "--loglevel=INFO"],
        "beat": [venv_bin("celery"), "-A", "config", "beat", "--loglevel=INFO"],
    }
    demo_host = ROOT / "chat" / "management" / "commands" / "serve_demo_host.py"
    if demo_host.exists():
        commands["demo-host"] = [venv_bin("python"), "manage.py", "serve_demo_host", "--port", host_port]
    return commands


def port_taken(host: str, port: int) -> bool:
    """Is something already listening on (or holding) ``host``:``port``? Tried by binding it, as the server will."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free for the server
        try:
            probe.bind((host, int(port)))
        except OSError:
            return True
    return False


def taken_ports(env: dict[str, str]) -> list[str]:
    """What ``start`` would listen on but cannot: the web server's port and the demo website's, by name."""
    taken = []
    host = web_host(env)
    if port_taken(host, int(env.get("PARLEY_PORT", "8000"))):
        taken.append(f"{web_address(env)} (PARLEY_PORT)")
    demo = env.get("PARLEY_DEMO_HOST_PORT", "8001")
    if port_taken("127.0.0.1", int(demo)):
        taken.append(f"127.0.0.1:{demo} (PARLEY_DEMO_HOST_PORT)")
    return taken


def web_answers(url: str) -> bool:
    """Does the web server answer HTTP at ``url`` (any status: a 302 to the login is an answer)?"""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (OSError, ValueError):
        return False


def probe_url(env: dict[str, str]) -> str:
    """Where ``start`` asks the web server whether it answers: its address, or this machine's loopback when it
    listens on every interface."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(web_host(env), web_host(env))
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{env.get('PARLEY_PORT', '8000')}/"


def wait_for_web(url: str, procs: dict[str, subprocess.Popen], *, timeout: float = 120.0) -> str | None:
    """Wait until the web server answers at ``url``; None when it does, else why not (a process stopped, or
    the timeout). "Parley is running" is printed only after this, so it is true when it is read."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, proc in procs.items():
            if proc.poll() is not None:
                return f"{name} stopped with exit code {proc.returncode} before the web server answered"
        if web_answers(url):
            return None
        time.sleep(0.3)
    return f"the web server did not answer at {url} within {int(timeout)} s"


def start(argv: list[str]) -> int:
    env = start_env()
    port = env.get("PARLEY_PORT", "8000")
    host_port = env.get("PARLEY_DEMO_HOST_PORT", "8001")
    taken = taken_ports(env)
    if taken:  # before anything is installed or migrated: the answer is at once and clear
        say(f"cannot start: already in use: {', '.join(taken)}. Stop what uses it, or choose another port,")
        say("  e.g. PARLEY_PORT=8010 PARLEY_DEMO_HOST_PORT=8011 python3 parley.py start")
        return 1
    uv = find_uv()
    sync(uv)
    manage("migrate", "--no-input", env=env)
    if not env.get("CHANNEL_LAYER_URL"):
        # The embedded channel layer keeps its events in a SQLite file of its own (docs/live.md).
        manage("migrate", "--database", "channels", "--no-input", env=env)
    manage("createcachetable", env=env)  # the database cache the throttles count in (no-op with CACHE_URL)
    manage("seed_demo", env=env)
    commands = start_commands(env)
    procs: dict[str, subprocess.Popen] = {}
    for name, cmd in commands.items():
        procs[name] = subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True)
    problem = wait_for_web(probe_url(env), procs)
    if problem:
        say(f"failed: {problem}")
        _stop(procs)
        return 1
    say("")
    say(f"Parley is running: http://127.0.0.1:{port}/  (admin: http://127.0.0.1:{port}/admin/)")
    say(f"  agent inbox: http://127.0.0.1:{port}/inbox/   API docs: http://127.0.0.1:{port}/api/docs/")
    if "demo-host" in procs:
        say(f"  demo website with the chat widget: http://127.0.0.1:{host_port}/")
    say("  log in as admin / parley-admin (administrator) or anna / parley-agent (agent;")
    say("  also bartek, celina, dawid, ewa with the same password)")
    say(f"  the web server listens on {web_address(env)} (PARLEY_HOST, PARLEY_PORT)")
    say("  web, worker and beat run until Ctrl-C")
    stop = {"now": False}

    def on_signal(signum, frame):  # noqa: ARG001
        stop["now"] = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    while not stop["now"]:
        for name, proc in procs.items():
            if proc.poll() is not None:
                say(f"{name} stopped with exit code {proc.returncode}; stopping the rest")
                code = proc.returncode or 1
                stop["now"] = True
                break
        time.sleep(0.5)
    _stop(procs)
    say("stopped")
    return code


def _stop(procs: dict[str, subprocess.Popen]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.time() + 10
    for proc in procs.values():
        try:
            proc.wait(timeout=max(0.1, deadline - time.time()))
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# The SQLite leg: the tests of what `start` runs on SQLite (its embedded default database).
SQLITE_TESTS = ["tests/chat/services", "tests/chat/routing", "tests/chat/rules", "tests/privacy", "tests/chat/hours"]
FAST = "not slow"  # the marker expression of the fast tier


def with_marker_expression(args: list[str], expression: str) -> list[str]:
    """pytest's arguments with ``-m expression`` added, and-ed with a ``-m`` they already give."""
    out: list[str] = []
    merged = False
    index = 0
    while index < len(args):
        arg = args[index]
        given = None
        if arg == "-m" and index + 1 < len(args):
            given, index = args[index + 1], index + 2
        elif arg.startswith("-m") and not arg.startswith("--") and len(arg) > 2:
            given, index = arg[2:], index + 1
        else:
            out.append(arg)
            index += 1
            continue
        out += ["-m", f"({given}) and ({expression})"]
        merged = True
    return out if merged else [*out, "-m", expression]


def test_plan(argv: list[str], env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The environment and pytest's arguments of ``test``.

    By default: everything, on PostgreSQL (DATABASE_URL, default 127.0.0.1:5432/parley), config.settings.test.
    ``--fast``: the same without the slow tier, on the test databases of the previous run, on every core.
    ``--sqlite``: SQLITE_TESTS on SQLite with config.settings.test_sqlite (a sqlite:/// DATABASE_URL, or
    the embedded default of `start`)."""
    fast, sqlite = "--fast" in argv, "--sqlite" in argv
    args = [arg for arg in argv if arg not in ("--fast", "--sqlite")]
    env = dict(env)
    if sqlite:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test_sqlite"
        if not env.get("DATABASE_URL", "").startswith("sqlite:"):
            env.pop("DATABASE_URL", None)  # the embedded default, as `start` has it
        args = [*SQLITE_TESTS, *args]
    else:
        env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/parley")
    if fast:
        args = with_marker_expression(args, FAST)
        # It keeps its test databases between runs (pytest-django's --reuse-db: migrations still run, new ones
        # are applied; --create-db builds them again) ...
        if "--create-db" not in args:
            args.append("--reuse-db")
        # ... and runs on every core (pytest-xdist, a file at a time per worker; -n 0 runs in one process).
        if not any(arg == "-n" or arg.startswith(("-n", "--numprocesses")) for arg in args):
            args += ["-n", "auto", "--dist", "loadfile"]
        # ... and lets pytest keep the test modules it rewrote for its assertions (__pycache__, ignored by git):
        # with PYTHONDONTWRITEBYTECODE set, every worker of every run compiles them all again (~3 s of CPU each).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env, args


def test(argv: list[str]) -> int:
    uv = find_uv()
    sync(uv)
    env, args = test_plan(argv, uv_env())
    say("checking migrations (makemigrations --check)")
    manage("makemigrations", "--check", "--dry-run", env=env)
    say("linting (ruff check)")
    subprocess.run([venv_bin("ruff"), "check", "."], cwd=ROOT, env=env, check=True)
    say("checking the import layers (lint-imports)")
    subprocess.run([venv_bin("lint-imports")], cwd=ROOT, env=env, check=True)
    where = env.get("DATABASE_URL", "SQLite (the embedded default)")
    tier = "the fast tier" if "--fast" in argv else ("the SQLite leg" if "--sqlite" in argv else "the test suite")
    say(f"running {tier} on {where} ({env['DJANGO_SETTINGS_MODULE']})")
    return subprocess.run([venv_bin("pytest"), *args], cwd=ROOT, env=env, check=False).returncode


def main() -> int:
    commands = {"start": start, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    try:
        return commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as error:
        say(f"failed: {' '.join(map(str, error.cmd))} (exit code {error.returncode})")
        return error.returncode or 1


if __name__ == "__main__":
    sys.exit(main())

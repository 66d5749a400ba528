"""``python3 parley.py start``: the processes it starts, checked on the commands it builds."""

from __future__ import annotations

import pytest

import parley


def test_start_serves_the_demo_on_127_0_0_1_by_default():
    env = parley.start_env()
    commands = parley.start_commands({**env, "PARLEY_HOST": "", "PARLEY_PORT": "8000"})
    assert commands["web"][1:6] == ["config.asgi:application", "--host", "127.0.0.1", "--port", "8000"]
    assert not any("0.0.0.0" in arg for command in commands.values() for arg in command)


@pytest.mark.parametrize(
    ("host", "address"), [("0.0.0.0", "0.0.0.0:9000"), ("192.168.1.20", "192.168.1.20:9000"), ("::", "[::]:9000")]
)
def test_start_binds_the_address_it_is_told(host, address):
    env = {"PARLEY_HOST": host, "PARLEY_PORT": "9000"}
    commands = parley.start_commands(env)
    assert commands["web"][2:6] == ["--host", host, "--port", "9000"]
    assert parley.web_address(env) == address


def test_start_uses_the_local_settings_unless_told_otherwise(monkeypatch):
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    assert parley.start_env()["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    assert parley.start_env()["DJANGO_SETTINGS_MODULE"] == "config.settings.production"


# ``python3 parley.py test``: the tiers (docs/testing.md), checked on the environment and arguments it builds.


def test_test_runs_everything_on_postgresql_by_default():
    env, args = parley.test_plan(["-k", "dispatch"], {"PATH": "/bin"})
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.test"
    assert env["DATABASE_URL"] == "postgres://postgres@127.0.0.1:5432/parley"
    assert args == ["-k", "dispatch"]


def test_test_fast_leaves_the_slow_tier_out_and_keeps_a_marker_given_with_it():
    _env, args = parley.test_plan(["--fast", "tests/chat"], {"DATABASE_URL": "postgres://me@db/parley"})
    assert args == ["tests/chat", "-m", "not slow", "--reuse-db", "-n", "auto", "--dist", "loadfile"]
    _env, args = parley.test_plan(["--fast", "-m", "browser or postgresql", "--create-db", "-n", "0"], {})
    assert args == ["-m", "(browser or postgresql) and (not slow)", "--create-db", "-n", "0"]
    _env, args = parley.test_plan(["-mbrowser", "--fast", "-n3"], {})
    assert args == ["-m", "(browser) and (not slow)", "-n3", "--reuse-db"]


def test_test_sqlite_runs_the_services_routing_and_rules_tests_on_sqlite_whatever_database_url_says():
    env, args = parley.test_plan(["--sqlite", "-x"], {"DATABASE_URL": "postgres://me@db/parley"})
    assert env["DJANGO_SETTINGS_MODULE"] == "config.settings.test_sqlite"
    assert "DATABASE_URL" not in env  # config.settings.base's embedded default: SQLite in var/
    assert args == [
        "tests/chat/services", "tests/chat/routing", "tests/chat/rules", "tests/privacy", "tests/chat/hours", "-x"
    ]
    env, _args = parley.test_plan(["--sqlite"], {"DATABASE_URL": "sqlite:////tmp/other.sqlite3"})
    assert env["DATABASE_URL"] == "sqlite:////tmp/other.sqlite3"


# ``start`` says "running" only when it is (issue 14, point 8).


def test_start_refuses_a_port_that_is_taken_naming_it():
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = {"PARLEY_HOST": "127.0.0.1", "PARLEY_PORT": str(port), "PARLEY_DEMO_HOST_PORT": str(port)}
        assert parley.taken_ports(env) == [f"127.0.0.1:{port} (PARLEY_PORT)",
                                           f"127.0.0.1:{port} (PARLEY_DEMO_HOST_PORT)"]
    assert parley.taken_ports(env) == []


def test_start_waits_until_the_web_server_answers():
    import http.server
    import subprocess
    import sys
    import threading

    from tests.processes import free_port

    port = free_port()
    url = parley.probe_url({"PARLEY_HOST": "0.0.0.0", "PARLEY_PORT": str(port)})
    assert url == f"http://127.0.0.1:{port}/"
    assert parley.web_answers(url) is False
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)  # answers 501
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert parley.wait_for_web(url, {"web": sleeper}, timeout=10) is None
    finally:
        server.shutdown()
        server.server_close()
        sleeper.kill()
        sleeper.wait()


def test_start_reports_a_web_server_that_stopped_before_answering():
    import subprocess
    import sys

    from tests.processes import free_port

    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    problem = parley.wait_for_web(f"http://127.0.0.1:{free_port()}/", {"web": dead}, timeout=5)
    assert problem == "web stopped with exit code 3 before the web server answered"

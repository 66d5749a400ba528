"""docs/deploy/ (issue 16, point 4) holds what an operator copies: its files must parse and agree with each other
and with the metrics Parley exports (docs/operations.md, "Metrics")."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parent.parent / "docs" / "deploy"
# The metric families of core.metrics (docs/operations.md, "Metrics"); an alert on another name never fires.
METRICS = {
    "parley_chats_waiting", "parley_queue_oldest_wait_seconds", "parley_agents", "parley_assignments_total",
    "parley_transfers_total", "parley_closes_total", "parley_dispatch_duration_seconds", "parley_rule_duration_seconds",
    "parley_rule_rows_total", "parley_messenger_deliveries", "parley_messenger_delivery_failures_total",
    "parley_live_connections", "parley_http_requests_total", "parley_http_request_duration_seconds",
    "parley_beat_last_tick_age_seconds", "parley_ready",
}


def test_every_alert_rule_is_complete_and_names_exported_metrics():
    rules = [rule for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
             for rule in group["rules"]]
    assert {"ParleyQueueOldestWaitAboveTarget", "ParleyBeatSilent", "ParleyMessengerDeliveryFailures",
            "ParleyNotReady"} <= {rule["alert"] for rule in rules}
    for rule in rules:
        assert re.fullmatch(r"\d+[smh]", rule["for"]), rule["alert"]
        assert rule["labels"]["severity"] in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        named = set(re.findall(r"\bparley_[a-z_]+", rule["expr"]))
        assert named <= METRICS, (rule["alert"], named - METRICS)


def test_the_procfile_and_the_systemd_units_start_the_same_processes():
    procfile = dict(line.split(": ", 1) for line in (DEPLOY / "Procfile").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert set(procfile) == {"release", "web", "worker", "beat"}
    assert "migrate --noinput" in procfile["release"]
    assert {"--workers", "--proxy-headers", "--forwarded-allow-ips"} <= set(procfile["web"].split())
    units = {path.name: path.read_text() for path in (DEPLOY / "systemd").iterdir()}
    assert set(units) == {"parley.target", "parley-migrate.service", "parley-web.service", "parley-worker.service",
                          "parley-beat.service"}
    assert "Type=oneshot" in units["parley-migrate.service"]
    for name in ("parley-web.service", "parley-worker.service", "parley-beat.service"):
        unit = units[name]
        assert "Requires=parley-migrate.service" in unit and "After=parley-migrate.service" in unit, name
        assert "EnvironmentFile=/etc/parley/parley.env" in unit and "PartOf=parley.target" in unit, name
        assert "KillMode=mixed" in unit, name  # SIGTERM to the main process, which stops its children
        program, command = re.search(r"ExecStart=\S+/(uvicorn|celery) (.*?)(?<!\\)\n", unit, re.S).groups()
        words = [word for word in command.split() if word != "\\"]
        kind = name.removeprefix("parley-").removesuffix(".service")
        assert procfile[kind].split()[:3] == [program, *words[:2]], (name, words)
        # The same options (their values may differ: the unit listens on 127.0.0.1 behind nginx).
        assert {w for w in words if w.startswith("--")} == {w for w in procfile[kind].split() if w.startswith("--")}


def test_the_nginx_site_passes_websockets_the_request_id_and_the_security_headers():
    site = (DEPLOY / "nginx" / "parley.conf").read_text()
    for directive in ("proxy_set_header Upgrade $http_upgrade;", "proxy_set_header X-Request-ID $request_id;",
                      "proxy_set_header X-Forwarded-Proto $scheme;", "client_max_body_size 101m;",
                      "add_header Strict-Transport-Security", "add_header Permissions-Policy"):
        assert directive in site, directive
    assert "Content-Security-Policy" not in site.replace("its Content-Security-Policy", "")  # Parley's own only


def test_the_procfile_at_the_root_is_the_deploy_one():
    """A platform that reads the repository's Procfile (Heroku, Dokku, honcho) starts what docs/deploy/ describes."""
    assert (DEPLOY.parent.parent / "Procfile").read_text() == (DEPLOY / "Procfile").read_text()


def test_every_environment_variable_of_the_settings_is_in_the_one_table():
    """docs/operations.md, "Environment variables" lists every variable the settings read (the test runs' own
    ``TEST_*`` are in docs/testing.md)."""
    root = DEPLOY.parent.parent
    operations = (root / "docs" / "operations.md").read_text()
    table = operations[operations.index("## Environment variables"):]
    table = "\n".join(line for line in table.splitlines() if line.startswith("| `"))
    read = set()
    for path in [*(root / "config").rglob("*.py"), *(root / "core").rglob("*.py")]:
        read |= set(re.findall(r"(?:environ\.get|environ\[|env_bool|env_list|getenv)\(?\s*\"([A-Z][A-Z0-9_]+)\"",
                               path.read_text()))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_VISIBILITY_TIMEOUT", "HEALTH_BEAT_MAX_AGE_SECONDS"} <= read
    missing = {name for name in read if not name.startswith("TEST_") and f"`{name}`" not in table}
    assert not missing, sorted(missing)

"""/metrics with several processes on one host (docs/operations.md, "Metrics"): prometheus_client's multi-process
mode adds up what each process wrote, whichever web worker answers the scrape."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
import requests
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from chat.models import Chat
from chat.services.queues import queue_create
from core.metrics.exposition import HostCollector, multiprocess_dir_prepare
from tests.polling import poll_until
from tests.processes import free_port, listening, process_env, stop_groups

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "multi-process-token-" + "y" * 32
REDIS_URL = os.environ.get("TEST_METRICS_REDIS_URL", "redis://127.0.0.1:6379/7")

pytestmark = pytest.mark.slow

# A process as a web or Celery worker is one: it counts, opens a socket, and (the second) stays running.
WRITER = """
import sys
from core.metrics.instruments import ASSIGNMENTS, LIVE_CONNECTIONS, RULE_DURATION
ASSIGNMENTS.labels(strategy="owner").inc(int(sys.argv[1]))
RULE_DURATION.labels(rule="close_inactive").observe(0.2)
LIVE_CONNECTIONS.labels(kind="inbox").inc()
print("ready", flush=True)
if sys.argv[2] == "stay":
    sys.stdin.read()
"""


def samples_of(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_the_scrape_adds_up_the_processes_and_drops_the_sockets_of_an_ended_one(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    ended = subprocess.run([sys.executable, "-c", WRITER, "2", "end"], env=env, cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert ended.returncode == 0, ended.stderr
    running = subprocess.Popen([sys.executable, "-c", WRITER, "3", "stay"], env=env, cwd=ROOT, text=True,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert running.stdout.readline().strip() == "ready"
        registry = CollectorRegistry()
        HostCollector(registry, path=str(tmp_path))
        samples = samples_of(generate_latest(registry).decode())
        # A process starting while another of the host runs (one restarted, the second web worker) keeps the files.
        assert multiprocess_dir_prepare() == "kept"
        assert len(list(tmp_path.glob("counter_*.db"))) == 2
    finally:
        running.communicate("", timeout=30)
    # Once they have all ended (the stack restarted), the first to start empties the directory.
    assert multiprocess_dir_prepare() == "emptied"
    assert list(tmp_path.glob("*.db")) == []
    assert samples[("parley_assignments_total", (("strategy", "owner"),))] == 5
    assert samples[("parley_rule_duration_seconds_count", (("rule", "close_inactive"),))] == 2
    # The ended process's socket is gone with it; the running one's counts.
    assert samples[("parley_live_connections", (("kind", "inbox"),))] == 1


@pytest.fixture
def host(tmp_path):
    """As the Procfile runs a host: ``uvicorn --workers 2`` and a prefork Celery worker (two children) on a Redis
    broker, all writing their metrics to one PROMETHEUS_MULTIPROC_DIR."""
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()
    directory = tmp_path / "metrics"
    port = free_port()
    env = process_env(PROMETHEUS_MULTIPROC_DIR=str(directory), PARLEY_METRICS_TOKEN=TOKEN,
                      CELERY_BROKER_URL=REDIS_URL, TEST_CELERY_BROKER_URL=REDIS_URL,
                      TEST_CELERY_TASK_ALWAYS_EAGER="false")
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    web = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "2", "--no-access-log"],
        cwd=ROOT, env=env, stdout=web_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "--quiet", "worker", "--pool=prefork", "--concurrency=2",
         "--loglevel=WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle",
         "-n", f"metrics-{os.getpid()}@%h"],
        cwd=ROOT, env=env, stdout=worker_log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        poll_until(lambda: listening(port), timeout=60, message=web_log.read_text,
                   alive=lambda: (web.poll() is None) or pytest.fail(web_log.read_text()))
        yield {"url": f"http://127.0.0.1:{port}", "directory": directory, "worker": worker, "worker_log": worker_log}
    finally:
        stop_groups((web, worker), timeout=30)
        broker.flushdb()


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    scraped = requests.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
    assert scraped.status_code == 200, scraped.text
    return samples_of(scraped.text)


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgresql("an ASGI server of two workers and a Celery worker on the test database")
def test_every_web_worker_answers_with_the_whole_hosts_counts_celerys_included(host, agent_factory):
    url, directory = host["url"], host["directory"]
    queue = queue_create(name="Sales")
    anna = agent_factory(queue=queue, username="anna")

    # Sixty requests, eight at a time on new connections: both web workers take some.
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _n: requests.get(f"{url}/inbox/login/", timeout=30).status_code, range(60)))
    assert codes == [200] * 60
    # A visitor's chat: the web worker queues dispatch, a Celery child assigns it.
    started = requests.post(f"{url}/widget/v1/chats/", json={"visitor_key": "metrics-visitor-1", "queue": queue.pk},
                            timeout=30)
    assert started.status_code == 201, started.text
    chat = Chat.objects.get(pk=started.json()["chat"]["id"])
    poll_until(lambda: (chat.refresh_from_db() or chat.agent_id) == anna.pk, timeout=60, every=0.2,
               alive=lambda: (host["worker"].poll() is None) or pytest.fail(host["worker_log"].read_text()),
               message=lambda: host["worker_log"].read_text())

    def counted():
        samples = scrape(url)
        return sum(v for (name, _labels), v in samples.items() if name == "parley_assignments_total") == 1

    poll_until(counted, timeout=30, every=0.2, message=lambda: str(scrape(url)))
    for _ in range(6):  # whichever web worker answers
        samples = scrape(url)
        assert samples[("parley_http_requests_total",
                        (("method", "GET"), ("status", "200"), ("view", "inbox:login")))] == 60
        assert samples[("parley_http_requests_total",
                        (("method", "POST"), ("status", "201"), ("view", "widget:chat-start")))] == 1
        assert sum(v for (name, _labels), v in samples.items() if name == "parley_assignments_total") == 1
        assert samples[("parley_dispatch_duration_seconds_count", ())] >= 1
        assert samples[("parley_chats_waiting", (("queue", "Sales"),))] == 0
        assert samples[("parley_agents", (("state", "available"),))] == 1
    writers = {path.name.rsplit("_", 1)[-1] for path in directory.glob("counter_*.db")}
    assert len(writers) >= 3, writers  # two web workers and at least one Celery child

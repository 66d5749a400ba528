"""bench_web's load generator and page reading: keep-alive HTTP/1.1 clients (``http.client``) in threads, each
row timed for a few seconds after a warm-up; the figures are requests per second and the latency percentiles."""

from __future__ import annotations

import html
import http.client
import json
import re
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Call:
    """One request as the clients send it again and again."""

    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Row:
    name: str
    requests: int
    seconds: float
    latencies: list[float]
    statuses: dict[int, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def send(conn: http.client.HTTPConnection, call: Call) -> tuple[int, dict[str, str], bytes]:
    conn.request(call.method, call.path, body=call.body, headers=call.headers)
    response = conn.getresponse()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def run_row(name: str, call: Call, *, port: int, seconds: float, warmup: float, concurrency: int) -> Row:
    """``concurrency`` keep-alive clients send ``call`` for ``warmup`` seconds (not counted), then ``seconds``."""
    start = time.perf_counter()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[dict[int, int]] = [{} for _ in range(concurrency)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            began = time.perf_counter()
            if began >= stop_at:
                break
            status, _headers, _body = send(conn, call)
            ended = time.perf_counter()
            if began >= measure_from:
                latencies[n].append(ended - began)
                statuses[n][status] = statuses[n].get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged: dict[int, int] = {}
    for counts in statuses:
        for status, count in counts.items():
            merged[status] = merged.get(status, 0) + count
    flat = [value for chunk in latencies for value in chunk]
    return Row(name, len(flat), seconds, flat, merged)


def table(rows: list[Row]) -> str:
    bare = rows[0].rate or 1.0
    lines = [
        f"{'request':<44} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'% bare':>7}  statuses",
        "-" * 96,
    ]
    for row in rows:
        statuses = ", ".join(f"{status}×{count}" for status, count in sorted(row.statuses.items()))
        lines.append(
            f"{row.name:<44} {row.rate:>8.0f} {row.percentile(50):>8.1f} {row.percentile(95):>8.1f} "
            f"{100 * row.rate / bare:>6.0f}%  {statuses}"
        )
    return "\n".join(lines)


# --- reading Parley's answers ---------------------------------------------------------------------------------


def cookies_from(headers: list[tuple[str, str]]) -> dict[str, str]:
    found = {}
    for name, value in headers:
        if name.lower() == "set-cookie":
            key, _sep, rest = value.partition("=")
            found[key.strip()] = rest.split(";", 1)[0]
    return found


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{key}={value}" for key, value in jar.items())


def poll_path(page: str, element_id: str) -> str:
    """The ``hx-get`` of the page's poll element (``sidebar-live`` or ``chat-poll``)."""
    tag = re.search(rf'<div id="{element_id}"[^>]*>', page)
    if tag is None:
        raise ValueError(f"no #{element_id} in the page")
    return html.unescape(re.search(r'hx-get="([^"]+)"', tag.group(0)).group(1))


def csrf_field(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def json_body(payload: dict) -> bytes:
    return json.dumps(payload).encode()

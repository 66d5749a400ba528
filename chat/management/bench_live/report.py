"""bench_live's table: each figure beside its baseline from the same run and the issue's goal (Markdown, so that
docs/live.md can carry it as printed)."""

from __future__ import annotations

import os
from collections import Counter

from .measure import percentile

GOALS = {"held": "all", "idle_cpu": "< 10 % of one core", "rss": "< 1 GB", "latency": "p95 < 100 ms"}


def _ms(figures: dict) -> str:
    return f"{figures['p50']:.1f} / {figures['p95']:.1f} / {figures['max']:.1f} ms"


def _counts(lines: list[dict], field: str) -> Counter:
    total = Counter()
    for line in lines:
        total.update(line[field])
    return total


def held_text(lines: list[dict], opts: dict) -> str:
    agents = sum(line["agents_open"] for line in lines)
    widgets = sum(line["widgets_open"] for line in lines)
    refused, dropped = _counts(lines, "refused"), _counts(lines, "dropped")
    text = (
        f"{agents + widgets} / {opts['agents'] + opts['widgets']} ({agents} / {opts['agents']} agents, "
        f"{widgets} / {opts['widgets']} widgets); refused {sum(refused.values())}, dropped {sum(dropped.values())}"
    )
    details = ", ".join(f"{reason}: {n}" for reason, n in (refused + dropped).most_common(4))
    return text + (f" ({details})" if details else "")


def report_table(opts, before, idle, load, opened, statuses, published, results, baseline) -> str:
    server_idle, server_load = idle["server"], load["server"]
    layer = (
        f"Redis PUBLISH→SUBSCRIBE {_ms(baseline['redis'])}; channel layer group_send→receive {_ms(baseline['layer'])}"
    )
    publish_calls = [row[2] for row in published]
    lag = [row[3] for row in published]
    cores = os.cpu_count()
    clients = ", ".join(f"{load[name]['cpu']:.0f} %" for name in sorted(load) if name.startswith("client"))
    rows = [
        ("measure", "baseline (same run)", "measured", "goal"),
        ("---", "---", "---", "---"),
        (
            "sockets held after opening",
            "—",
            f"{held_text(opened, opts)}; opened in {max(line['seconds'] for line in opened):.1f} s",
            GOALS["held"],
        ),
        ("sockets held at the end", "—", held_text(statuses, opts), GOALS["held"]),
        (
            "server CPU, idle",
            f"{before['cpu']:.1f} % (no socket, {before['seconds']:.0f} s)",
            f"{server_idle['cpu']:.1f} % (every socket open, {server_idle['seconds']:.0f} s)",
            GOALS["idle_cpu"],
        ),
        (
            f"server CPU, {opts['rate']:.0f} msg/s",
            "—",
            f"{server_load['cpu']:.1f} % ({server_load['seconds']:.0f} s)",
            "—",
        ),
        (
            "server RSS",
            f"{before['rss']:.0f} MB (no socket)",
            f"{server_idle['rss']:.0f} MB idle; {server_load['rss_peak']:.0f} MB peak under load",
            GOALS["rss"],
        ),
        ("latency to the widget p50 / p95 / max", layer, _ms(results["visitor"]), GOALS["latency"]),
        ("latency to the inbox p50 / p95 / max", "(as above)", _ms(results["agent"]), GOALS["latency"]),
    ]
    for side, name in (("visitor", "widget"), ("agent", "inbox")):
        figures = results[side]
        rows.append(
            (
                f"deliveries to the {name}",
                "—",
                f"{figures['received']} / {figures['expected']} expected; {figures['duplicates']} duplicate, "
                f"{figures['unmatched']} unmatched",
                "all",
            )
        )
    rows += [
        (
            "publisher: live_publish() call p50 / p95",
            "—",
            f"{percentile(publish_calls, 50) * 1000:.1f} / {percentile(publish_calls, 95) * 1000:.1f} ms "
            f"({len(published)} events; behind schedule p95 {percentile(lag, 95) * 1000:.1f} ms)",
            "—",
        ),
        (
            "CPU of the other processes under load",
            "—",
            f"clients {clients}; publisher {load['publisher']['cpu']:.0f} %",
            "—",
        ),
        (
            f"the machine, every process (ours and others'): CPU busy, % of one core ({cores} cores); load average",
            "—",
            f"idle window {idle['machine']['cpu']:.0f} %, load {idle['machine']['load']:.1f}; "
            f"load window {load['machine']['cpu']:.0f} %, load {load['machine']['load']:.1f}",
            "—",
        ),
    ]
    return "\n" + "\n".join("| " + " | ".join(row) + " |" for row in rows) + "\n"

"""bench_live's measurements: a process's CPU and memory from /proc, and delivery latency from publish to receipt."""

from __future__ import annotations

import bisect
import math
import os
import time
from collections import defaultdict

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads) so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine, every core, every process (ours and anyone else's)."""
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def watch(pids: dict[str, int], seconds: float, every: float = 0.5) -> dict[str, dict]:
    """Watch the processes for ``seconds``: CPU as % of one core over the window, RSS at its end and highest;
    under "machine": how busy all cores were (% of one core, summed) and the load average at the end."""
    started = time.monotonic()
    busy0, total0 = machine_ticks()
    cpu0 = {name: cpu_seconds(pid) for name, pid in pids.items()}
    peak = dict.fromkeys(pids, 0.0)
    while True:
        for name, pid in pids.items():
            peak[name] = max(peak[name], rss_mb(pid))
        left = started + seconds - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(every, left))
    elapsed = time.monotonic() - started
    busy1, total1 = machine_ticks()
    with open("/proc/loadavg") as loadavg:
        load = float(loadavg.read().split()[0])
    machine = {"cpu": 100 * os.cpu_count() * (busy1 - busy0) / max(total1 - total0, 1), "load": load}
    return {"machine": machine} | {
        name: {
            "cpu": 100 * (cpu_seconds(pid) - cpu0[name]) / elapsed,
            "rss": rss_mb(pid),
            "rss_peak": max(peak[name], rss_mb(pid)),
            "seconds": elapsed,
        }
        for name, pid in pids.items()
    }


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def deliveries(publishes: list[list], receipts: list[list], expected_chats: set[int]) -> dict:
    """Match one side's receipts to the publishes: a nudge for chat c received at t belongs to the last publish
    of c at or before t (the publisher never publishes a chat twice within its gap, so this is exact while
    deliveries take less than the gap). ``expected_chats``: the chats whose socket on this side was held."""
    times_of: dict[int, list[float]] = defaultdict(list)
    for chat_id, started, *_ in publishes:
        times_of[chat_id].append(started)
    for times in times_of.values():
        times.sort()
    matched: set[tuple[int, int]] = set()
    latencies, duplicates, unmatched = [], 0, 0
    for chat_id, received in receipts:
        times = times_of.get(chat_id, [])
        index = bisect.bisect_right(times, received) - 1
        if index < 0:
            unmatched += 1
        elif (chat_id, index) in matched:
            duplicates += 1
        else:
            matched.add((chat_id, index))
            latencies.append(received - times[index])
    expected = sum(1 for chat_id, *_ in publishes if chat_id in expected_chats)
    return {
        "expected": expected,
        "received": len(latencies),
        "duplicates": duplicates,
        "unmatched": unmatched,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "max": max(latencies, default=math.nan) * 1000,
    }


def summary_ms(seconds: list[float]) -> dict:
    return {
        "p50": percentile(seconds, 50) * 1000,
        "p95": percentile(seconds, 95) * 1000,
        "max": max(seconds, default=math.nan) * 1000,
    }

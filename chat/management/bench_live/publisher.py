"""bench_live's publisher and baselines. Both run in a process of their own, with the server's settings (the same
channel layer, Redis database and prefix): ``manage.py bench_live --role publish`` / ``--role baseline``.

The publisher sends ``chat.message`` events the way every service does (``live_publish`` of a ``LiveEvent``, the
synchronous path of a web, worker or beat process) at a fixed rate into random chats, and records each chat's
publish time on the machine's monotonic clock. A chat published less than ``gap`` seconds ago is not picked again,
so each nudge received names one publish only.

The baselines: a bare Redis PUBLISH to a SUBSCRIBE, and a channel-layer group_send to a receive, each a round trip
in one process with no server in between.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque

import redis.asyncio as aredis
from channels.layers import get_channel_layer

from chat.services.live import LiveEvent, live_publish


def publish_run(
    *, spec_path: str, out_path: str, rate: float, seconds: float, start_at: float, gap: float, seed: int
) -> None:
    with open(spec_path) as spec_file:
        agent_of = {chat_id: agent_id for chat_id, _token, agent_id in json.load(spec_file)["widgets"]}
    chats = list(agent_of)
    gap = min(gap, max(len(chats) - 1, 0) / rate)  # tiny runs: fewer chats than a gap's worth of publishes
    rng = random.Random(seed)
    recent: deque[tuple[float, int]] = deque()
    blocked: set[int] = set()
    records = []
    count = max(1, int(rate * seconds))
    _sleep_until(start_at)
    for i in range(count):
        due = start_at + i / rate
        _sleep_until(due)
        now = time.monotonic()
        while recent and recent[0][0] <= now - gap:
            blocked.discard(recent.popleft()[1])
        chat_id = rng.choice(chats)
        while chat_id in blocked:
            chat_id = rng.choice(chats)
        started = time.monotonic()
        live_publish(LiveEvent(kind="chat.message", chat_id=chat_id, agent_ids=(agent_of[chat_id],)))
        records.append([chat_id, started, time.monotonic() - started, started - due])
        recent.append((started, chat_id))
        blocked.add(chat_id)
    with open(out_path, "w") as out:
        json.dump(records, out)


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


def baseline_run(*, redis_url: str, prefix: str, samples: int, rate: float, out_path: str) -> None:
    result = asyncio.run(_baselines(redis_url=redis_url, prefix=prefix, samples=samples, rate=rate))
    with open(out_path, "w") as out:
        json.dump(result, out)


async def _baselines(*, redis_url: str, prefix: str, samples: int, rate: float) -> dict:
    return {
        "redis": await _redis_round_trips(redis_url, f"{prefix}:baseline", samples, rate),
        "layer": await _layer_round_trips(samples, rate),
    }


async def _redis_round_trips(url: str, channel: str, samples: int, rate: float) -> list[float]:
    """Bare Redis: PUBLISH on one connection to a SUBSCRIBE on another, one message at a time."""
    publisher, subscriber = aredis.Redis.from_url(url), aredis.Redis.from_url(url)
    pubsub = subscriber.pubsub()
    await pubsub.subscribe(channel)
    await pubsub.get_message(timeout=1)  # the subscription's confirmation
    times = []
    for i in range(samples):
        started = time.monotonic()
        await publisher.publish(channel, str(i))
        while (await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)) is None:
            pass
        times.append(time.monotonic() - started)
        await asyncio.sleep(max(0.0, 1 / rate - times[-1]))
    await pubsub.aclose()
    await publisher.aclose()
    await subscriber.aclose()
    return times


async def _layer_round_trips(samples: int, rate: float) -> list[float]:
    """The channel layer alone: a group_send to a group of one channel, and that channel's receive."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add("bench.baseline", channel)
    times = []
    for i in range(samples):
        started = time.monotonic()
        await layer.group_send("bench.baseline", {"type": "bench.baseline", "i": i})
        await layer.receive(channel)
        times.append(time.monotonic() - started)
        await asyncio.sleep(max(0.0, 1 / rate - times[-1]))
    await layer.group_discard("bench.baseline", channel)
    return times

"""bench_live's WebSocket client: one OS process holding its share of the agents' and visitors' sockets.

    python -m chat.management.bench_live.client SPEC.json

No Django here: it is the browsers' side. Each agent opens /ws/inbox/ with his session cookie from a page of the
server's own origin, says which chat he has open ({"type": "watch"}) and sends the inbox page's heartbeat
({"type": "ping"} every ``heartbeat`` seconds, the first one at once: its "pong" tells he is held); each visitor
opens /ws/widget/ from the widget's origin and sends his token first ({"type": "auth"}), held once "ready" comes.
Like a browser, the client sends no WebSocket pings of its own (it answers the server's).

It writes JSON lines to stdout ({"event": "opened"} once every socket is held or refused) and obeys lines on stdin:
``status`` (what is held, refused, dropped), ``dump PATH`` (the "chat.message" nudges received, with the
receiving time on the machine's monotonic clock, per side), ``quit`` (close every socket and exit).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

try:
    import uvloop
except ImportError:  # pragma: no cover - uvicorn[standard] brings it
    uvloop = None


class Tally:
    def __init__(self) -> None:
        self.ready = Counter()
        self.refused = Counter()
        self.dropped = Counter()
        self.other = Counter()
        self.open: dict[str, set] = {"agent": set(), "visitor": set()}
        self.receipts: dict[str, list] = {"agent": [], "visitor": []}
        self.sockets: list = []
        self.quitting = False
        self.opened_at: float | None = None

    def refuse(self, side: str, reason: str) -> None:
        self.refused[f"{side}: {reason}"] += 1

    def status(self) -> dict:
        return {
            "agents_open": len(self.open["agent"]),
            "widgets_open": len(self.open["visitor"]),
            "ready": dict(self.ready),
            "refused": dict(self.refused),
            "dropped": dict(self.dropped),
            "other": dict(self.other),
            "open_agents": sorted(self.open["agent"]),
            "open_widgets": sorted(self.open["visitor"]),
        }


def _reason(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, ConnectionClosed):
        return f"closed {exc.rcvd.code if exc.rcvd else 'abnormally'}"
    return type(exc).__name__


async def _open(
    spec: dict,
    tally: Tally,
    gate: asyncio.Semaphore,
    side: str,
    path: str,
    origin: str,
    headers: list,
    first: list[dict],
    until: str,
    key,
):
    """Open one socket, send ``first`` and wait for the message of kind ``until``; None when refused."""
    async with gate:
        try:
            ws = await connect(
                spec["url"] + path,
                origin=origin,
                additional_headers=headers,
                ping_interval=None,
                open_timeout=spec["ready_timeout"],
                close_timeout=5,
            )
        except Exception as exc:  # noqa: BLE001 - every way a socket is refused is counted, by its reason
            tally.refuse(side, _reason(exc))
            return None
        try:
            for message in first:
                await ws.send(json.dumps(message))
            async with asyncio.timeout(spec["ready_timeout"]):
                while json.loads(await ws.recv()).get("kind") != until:
                    pass
        except Exception as exc:  # noqa: BLE001
            tally.refuse(side, _reason(exc))
            await ws.close()
            return None
    tally.ready[side] += 1
    tally.open[side].add(key)
    tally.sockets.append(ws)
    return ws


async def _listen(ws, tally: Tally, side: str, key) -> None:
    receipts = tally.receipts[side]
    try:
        async for raw in ws:
            message = json.loads(raw)
            kind = message.get("kind")
            if kind == "chat.message":
                receipts.append((message.get("chat"), time.monotonic()))
            elif kind != "pong":
                tally.other[f"{side}: {kind}"] += 1
    except ConnectionClosed:
        pass
    tally.open[side].discard(key)
    if not tally.quitting:
        tally.dropped[f"{side}: closed {ws.close_code}"] += 1


async def agent(spec: dict, tally: Tally, gate: asyncio.Semaphore, user_id: int, session: str, watch) -> None:
    first = ([{"type": "watch", "chat": watch}] if watch else []) + [{"type": "ping"}]
    headers = [("Cookie", f"{spec['cookie_name']}={session}")]
    ws = await _open(spec, tally, gate, "agent", "/ws/inbox/", spec["inbox_origin"], headers, first, "pong", user_id)
    if ws is None:
        return
    listener = asyncio.create_task(_listen(ws, tally, "agent", user_id))
    # The inbox page's heartbeat, each page on its own phase.
    await asyncio.sleep(random.uniform(0, spec["heartbeat"]))
    while not listener.done():
        try:
            await ws.send(json.dumps({"type": "ping"}))
        except ConnectionClosed:
            break
        await asyncio.sleep(spec["heartbeat"])
    await listener


async def visitor(spec: dict, tally: Tally, gate: asyncio.Semaphore, chat_id: int, token: str) -> None:
    first = [{"type": "auth", "chat": chat_id, "token": token}]
    ws = await _open(spec, tally, gate, "visitor", "/ws/widget/", spec["widget_origin"], [], first, "ready", chat_id)
    if ws is not None:
        await _listen(ws, tally, "visitor", chat_id)


def _say(**line) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


async def main(spec_path: str) -> None:
    with open(spec_path) as spec_file:
        spec = json.load(spec_file)
    tally = Tally()
    gate = asyncio.Semaphore(spec["concurrency"])
    started = time.monotonic()
    tasks = [asyncio.create_task(agent(spec, tally, gate, *row)) for row in spec["agents"]]
    tasks += [asyncio.create_task(visitor(spec, tally, gate, chat_id, token)) for chat_id, token, _ in spec["widgets"]]
    total = len(tasks)
    while sum(tally.ready.values()) + sum(tally.refused.values()) < total:
        await asyncio.sleep(0.1)
    _say(event="opened", seconds=round(time.monotonic() - started, 2), **tally.status())
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if line == "status":
            _say(event="status", **tally.status())
        elif line.startswith("dump "):
            with open(line[5:], "w") as out:
                json.dump(tally.receipts, out)
            _say(event="dumped")
        elif line in ("quit", ""):
            break
    tally.quitting = True
    await asyncio.gather(*(ws.close() for ws in tally.sockets), return_exceptions=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    _say(event="quit")


if __name__ == "__main__":
    (uvloop.run if uvloop else asyncio.run)(main(sys.argv[1]))

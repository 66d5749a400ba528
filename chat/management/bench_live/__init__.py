"""bench_live's parts (chat/management/commands/bench_live.py, docs/live.md "Connections at scale"): the scenario
on its own PostgreSQL database, the WebSocket client processes, the publisher, and the measurements."""

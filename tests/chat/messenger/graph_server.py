"""A real HTTP server on 127.0.0.1 (random port) standing in for the Graph API's Send API.

It records every request (path, query, headers, JSON body) *before* answering, like Graph,
which may have accepted a message even when its answer never reaches the caller. ``hold()``
makes it keep every answer until ``release()``: the caller times out, or is killed, while
the stand-in already has the message.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class GraphServer:
    def __init__(self):
        self.requests: list[dict] = []
        # Answers to give, in order, then 200 OK; a status of None closes the connection without an answer.
        self.script: list[tuple[int | None, dict]] = []
        self._lock = threading.Condition()
        self._gate: threading.Event | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parsed = urlparse(self.path)
                with server._lock:
                    server.requests.append({
                        "path": parsed.path,
                        "raw_path": self.path,
                        "query": parse_qs(parsed.query),
                        "headers": dict(self.headers.items()),
                        "json": body,
                    })
                    status, answer = server.script.pop(0) if server.script else (
                        200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_out_{len(server.requests)}"}
                    )
                    gate = server._gate
                    server._lock.notify_all()
                if gate is not None:
                    gate.wait(timeout=120)
                if status is None:
                    self.close_connection = True
                    return
                payload = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:
                    pass  # the caller gave up (timed out, or was killed) before the answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v21.0"
        # serve_forever looks at its shutdown flag between select() calls, every poll_interval (0.5 s by
        # default): __exit__'s shutdown() waits for that look, so it is made often.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def hold(self) -> None:
        """Record the next requests at once but keep their answers until :meth:`release`."""
        with self._lock:
            self._gate = threading.Event()

    def release(self) -> None:
        """Answer the held requests now; answer the next ones at once."""
        with self._lock:
            gate, self._gate = self._gate, None
        if gate is not None:
            gate.set()

    def wait_for(self, count: int, timeout: float = 60) -> bool:
        """Wait until ``count`` requests were received (for callers in another process)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.requests) >= count, timeout=timeout)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

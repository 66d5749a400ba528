"""A real HTTP server on 127.0.0.1 (random port) standing in for the Graph API's Send API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


class GraphServer:
    def __init__(self):
        self.requests: list[dict] = []
        self.script: list[tuple[int, dict]] = []  # answers to give, in order; then 200 OK
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                parsed = urlparse(self.path)
                with server._lock:
                    server.requests.append({"path": parsed.path, "query": parse_qs(parsed.query), "json": body})
                    status, answer = server.script.pop(0) if server.script else (
                        200, {"recipient_id": body["recipient"]["id"], "message_id": f"m_out_{len(server.requests)}"}
                    )
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v21.0"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

"""A bare HTTP/1.1 client on a socket, for what the test client hides: a request whose body is
not sent (to see that the server answers without reading it), a chunked body, a Content-Length
that does not match the body."""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class RawConnection:
    """One connection to ``server_url``; ``timeout`` bounds every wait, so a server that waits
    for a body instead of answering fails the test instead of hanging it."""

    server_url: str
    timeout: float = 20.0
    sock: socket.socket = field(init=False)

    def __post_init__(self):
        parts = urlsplit(self.server_url)
        self.host = parts.netloc
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=self.timeout)

    def send_head(self, method: str, path: str, headers: dict[str, str]) -> None:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Connection: close"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def response(self) -> RawResponse:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"the server closed the connection after {buffer!r}")
            buffer += chunk
        head, body = buffer.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in header_lines:
            name, _sep, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                break
            body += chunk
        return RawResponse(status=int(status_line.split()[1]), headers=headers, body=body[:length])

    def close(self) -> None:
        self.sock.close()


def multipart(fields: dict[str, str], *, filename: str, file_size: int) -> tuple[str, bytes, bytes]:
    """(Content-Type, the bytes before the file's content, the bytes after it) of a form with
    ``fields`` and one ``file`` of ``file_size`` bytes, so that a test can send as much of the
    file as it likes."""
    boundary = uuid.uuid4().hex
    head = b""
    for name, value in fields.items():
        head += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").encode()
    head += (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", head, tail

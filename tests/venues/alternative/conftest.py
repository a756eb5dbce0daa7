"""The saved Fear & Greed answer, and a loopback HTTP server that serves it the way the public API does.

``fng_answer.json`` is written from the documented answer of ``GET https://api.alternative.me/fng/?limit=3``
(newest first; values and timestamps are strings; only the newest carries ``time_until_update``). The real
service cannot be reached from the test machines, so the server below stands in for it: real httpx, real sockets,
127.0.0.1 only.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

SAVED_ANSWER = (Path(__file__).parent / "fng_answer.json").read_bytes()


@dataclass
class Loopback:
    """A server on 127.0.0.1: ``url`` to give the client, ``requests`` the paths (with query) it was asked."""

    url: str
    body: bytes = SAVED_ANSWER
    status: int = 200
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def fng_server() -> Iterator[Loopback]:
    loopback = Loopback(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            loopback.requests.append(self.path)
            self.send_response(loopback.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(loopback.body)))
            self.end_headers()
            self.wfile.write(loopback.body)

        def log_message(self, *arguments: object) -> None:  # keep pytest's output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    loopback.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield loopback
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nothing listens on: connections are refused, as with no network at all."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"

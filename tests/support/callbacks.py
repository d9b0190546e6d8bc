"""A callback receiver: the `X-Callback-Url` a test gives the queue-worker, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import LocalServer


@dataclass(frozen=True)
class Callback:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class CallbackReceiver:
    url: str
    received: queue.Queue[Callback]

    def next(self, *, timeout: float) -> Callback:
        """The next callback; fails naming the deadline when none arrives in time."""
        try:
            return self.received.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no callback reached {self.url} within {timeout}s") from None


@contextlib.contextmanager
def callback_receiver() -> Iterator[CallbackReceiver]:
    """Every POST to the yielded URL (any path below it) lands in `received`, answered 200."""
    received: queue.Queue[Callback] = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            received.put(Callback(self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = LocalServer(Handler)
    server.start()
    try:
        yield CallbackReceiver(f"{server.url}/done", received)
    finally:
        server.stop()

"""A small real OpenFaaS on 127.0.0.1: the API calls the gateway makes, answered from memory.

`/system/*` needs the admin's basic auth, as on OpenFaaS CE; `/function/<fn>` and
`/async-function/<fn>` need none and forward whatever headers they get to the function, as the
CE gateway and its queue-worker do. Every request is recorded with its headers, so a test can
see what the function would have been sent.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import LocalServer


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class FakeOpenFaaS(LocalServer):
    def __init__(self, *, user: str, password: str) -> None:
        self.functions: dict[str, dict[str, Any]] = {}
        self.received: list[Received] = []
        self.async_calls: queue.Queue[Received] = queue.Queue()  # the accepted ones
        self.refuse_async = 0  # how many async calls to answer 500 before accepting again
        self.system_fails = False  # /system/ answers 500, as an OpenFaaS in trouble does
        self.cut_answers = False  # /function/ answers end early, as a dying replica's would
        self._lock = threading.Lock()
        self._credential = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        super().__init__(_handler(self))

    def deploy(self, name: str, *, env: dict[str, str], annotations: dict[str, str]) -> None:
        self.functions[name] = {
            "name": name,
            "image": f"example/{name}:latest",
            "envVars": env,
            "annotations": annotations,
            "labels": {},
            "secrets": [],
        }

    def function_requests(self) -> list[Received]:
        """What functions were sent: every call to /function/ and /async-function/."""
        return [r for r in self.received if r.path.startswith(("/function/", "/async-function/"))]

    def answer(self, method: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        if path.startswith("/system/"):
            if headers.get("Authorization") != self._credential:
                return 401, b"Unauthorized"
            if self.system_fails:
                return 500, b"the provider is not answering"
            if method == "GET" and path == "/system/functions":
                return 200, json.dumps(list(self.functions.values())).encode()
            name = path.removeprefix("/system/function/")
            if method == "GET" and name in self.functions:
                return 200, json.dumps(self.functions[name]).encode()
            return 404, b"not found"
        if method == "POST" and path.startswith("/async-function/"):
            with self._lock:
                refused, self.refuse_async = self.refuse_async > 0, max(0, self.refuse_async - 1)
            return (500, b"queue is full") if refused else (202, b"")
        if method == "POST" and path.startswith("/function/"):
            return 200, b"processed by the function"
        return 404, b"not found"


def _handler(fake: FakeOpenFaaS) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            path = self.path.split("?", 1)[0]
            received = Received(self.command, path, headers, body)
            fake.received.append(received)
            status, answer = fake.answer(self.command, path, headers)
            if path.startswith("/async-function/") and status == 202:
                fake.async_calls.put(received)
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/json" if answer[:1] in b"[{" else "text/plain"
            )
            cut = fake.cut_answers and path.startswith("/function/")
            self.send_header("Content-Length", str(len(answer) * (10 if cut else 1)))
            self.end_headers()
            self.wfile.write(answer)
            if cut:
                self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `received` instead."""

    return Handler

"""The OpenFaaS client against a real HTTP server on 127.0.0.1: what each call sends, who gets
the admin's login, and how a missing function, a failure and a refused connection read."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from gateway.clients.openfaas import OpenFaaS
from gateway.errors import NotFound, UpstreamError
from tests.support.local_server import LocalServer

LOGIN = "Basic " + base64.b64encode("admin:pässword".encode()).decode()


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    peer: tuple[str, int]


@dataclass
class Script:
    """What the server answers to a path (202 to any POST, `{}` to any GET by default)."""

    answers: dict[str, tuple[int, bytes]] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # kept alive, as OpenFaaS's gateway does

        def do_GET(self) -> None:
            self._serve(200, b"{}")

        def do_POST(self) -> None:
            self._serve(202, b"")

        def _serve(self, status: int, body: bytes) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            sent = self.rfile.read(length) if length else b""
            path = self.path
            script.seen.append(
                Seen(self.command, path, dict(self.headers.items()), sent, self.client_address)
            )
            status, body = script.answers.get(path, (status, body))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test reads `script.seen`."""

    return Handler


@pytest.fixture
def script() -> Script:
    return Script()


@pytest.fixture
def server(script: Script) -> Iterator[LocalServer]:
    running = LocalServer(_handler(script))
    running.start()
    yield running
    running.stop()


@pytest.fixture
def openfaas(server: LocalServer) -> Iterator[OpenFaaS]:
    client = OpenFaaS(server.url, username="admin", password="pässword", timeout=5.0)
    yield client
    client.close()


def test_an_async_call_sends_its_body_and_headers_and_returns_202(
    openfaas: OpenFaaS, script: Script
) -> None:
    status = openfaas.invoke_async(
        "grey",
        b'{"jobs": []}',
        callback_url="http://gw/callbacks/j1?call=c1&sig=s",
        call_id="c1",
        headers={"X-Oscar-Job": "j1"},
    )

    assert status == 202
    [seen] = script.seen
    assert (seen.method, seen.path, seen.body) == ("POST", "/async-function/grey", b'{"jobs": []}')
    assert seen.headers["X-Callback-Url"] == "http://gw/callbacks/j1?call=c1&sig=s"
    assert seen.headers["X-Call-Id"] == "c1"
    assert seen.headers["X-Oscar-Job"] == "j1"
    assert seen.headers["Content-Type"] == "application/json"
    assert seen.headers["Content-Length"] == "12"


def test_the_admins_login_goes_with_system_calls_only(openfaas: OpenFaaS, script: Script) -> None:
    openfaas.functions()
    openfaas.function("grey")
    openfaas.invoke_async("grey", b"{}", callback_url="http://gw/cb", call_id="c1")

    system, one, queued = script.seen
    assert system.headers["Authorization"] == LOGIN  # the password's UTF-8, in base64
    assert one.headers["Authorization"] == LOGIN
    # OpenFaaS hands an async call's headers to the function: the login must not be among them.
    assert "Authorization" not in queued.headers


def test_successive_calls_share_one_kept_alive_connection(
    openfaas: OpenFaaS, script: Script
) -> None:
    for n in range(3):
        openfaas.invoke_async("grey", b"{}", callback_url="http://gw/cb", call_id=f"c{n}")
    openfaas.functions()

    assert len({seen.peer for seen in script.seen}) == 1


def test_a_function_openfaas_does_not_know_is_not_found(openfaas: OpenFaaS, script: Script) -> None:
    script.answers["/system/function/grey"] = (404, b"not found")

    with pytest.raises(NotFound, match="function 'grey' is not deployed in OpenFaaS"):
        openfaas.function("grey")


def test_a_failing_openfaas_is_an_upstream_error_naming_the_call(
    openfaas: OpenFaaS, script: Script, server: LocalServer
) -> None:
    script.answers["/async-function/grey"] = (500, b"queue is full")

    with pytest.raises(UpstreamError) as raised:
        openfaas.invoke_async("grey", b"{}", callback_url="http://gw/cb", call_id="c1")

    error = raised.value
    assert error.message == f"OpenFaaS answered 500 to POST {server.url}/async-function/grey"
    assert (error.upstream_status, error.detail) == (500, "queue is full")
    assert len(script.seen) == 1  # never retried: a replayed POST could run a script twice


def test_a_system_answer_that_is_not_json_is_an_upstream_error(
    openfaas: OpenFaaS, script: Script
) -> None:
    script.answers["/system/functions"] = (200, b"<html>")

    with pytest.raises(UpstreamError, match="OpenFaaS answered something that is not JSON"):
        openfaas.functions()


def test_a_refused_connection_is_an_upstream_error_naming_the_url() -> None:
    with socket.socket() as spare:  # a port nothing listens on once it is closed
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    openfaas = OpenFaaS(f"http://127.0.0.1:{port}", username="admin", password="pw")

    with pytest.raises(UpstreamError) as raised:
        openfaas.invoke_async("grey", b"{}", callback_url="http://gw/cb", call_id="c1")

    message = raised.value.message
    assert message.startswith(
        f"OpenFaaS did not answer POST http://127.0.0.1:{port}/async-function"
    )
    assert "ConnectionRefusedError" in message
    assert "OPENFAAS_URL" in message

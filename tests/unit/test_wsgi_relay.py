"""The WSGI pieces the provider's proxy and the gateway's /run share."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
from typing import Any

import pytest

from wsgi_relay.messages import forwarded_request, json_answer, status_line
from wsgi_relay.serving import serve_until_signalled

DROPPED = frozenset({"host", "authorization", "content-length", "transfer-encoding"})


def environ(body: bytes = b"", **extra: str) -> dict[str, Any]:
    return {"wsgi.input": io.BytesIO(body), "REQUEST_METHOD": "POST", **extra}


def test_a_sized_body_goes_on_with_its_length_and_the_headers_but_the_dropped_ones() -> None:
    length, body, headers = forwarded_request(
        environ(
            b"hello",
            CONTENT_LENGTH="5",
            CONTENT_TYPE="text/plain",
            HTTP_X_FILENAME="a.txt",
            HTTP_AUTHORIZATION="Bearer secret",
            HTTP_HOST="example",
        ),
        dropped=DROPPED,
    )

    assert (length, body.read()) == (5, b"hello")
    assert headers == {"X-Filename": "a.txt", "Content-Type": "text/plain", "Content-Length": "5"}


def test_a_chunked_body_is_read_in_chunks_and_an_empty_one_is_none() -> None:
    data = b"x" * 200_000
    length, chunks, _ = forwarded_request(
        environ(data, HTTP_TRANSFER_ENCODING="chunked"), dropped=DROPPED
    )
    empty = forwarded_request(environ(CONTENT_LENGTH="0"), dropped=DROPPED)
    bare = forwarded_request(environ(), dropped=DROPPED)

    assert length is None
    assert b"".join(chunks) == data
    assert empty[:2] == (0, None)
    assert bare[:2] == (0, None)


def test_a_short_chunked_body_goes_on_whole_with_its_length_and_an_empty_one_as_none() -> None:
    # The OpenFaaS gateway sends every call chunked: a small one reaches the replica sized.
    length, body, headers = forwarded_request(
        environ(b"y" * 1024, HTTP_TRANSFER_ENCODING="chunked"), dropped=DROPPED
    )
    nothing = forwarded_request(environ(HTTP_TRANSFER_ENCODING="chunked"), dropped=DROPPED)

    assert (length, body, headers["Content-Length"]) == (1024, b"y" * 1024, "1024")
    assert nothing[:2] == (0, None)
    assert nothing[2]["Content-Length"] == "0"


def test_status_lines_and_json_answers() -> None:
    started: list[tuple[str, list[tuple[str, str]]]] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        started.append((status, headers))

    body = json_answer(start, 503, {"e": 1})  # type: ignore[arg-type]

    assert (status_line(200), status_line(599)) == ("200 OK", "599 Unknown")
    assert started == [("503 Service Unavailable", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body[0])))])]  # fmt: skip
    assert json.loads(body[0]) == {"e": 1}


class _BlockingServer:
    """Like waitress: run() blocks until close(), then fails with OSError (its socket is gone)."""

    def __init__(self) -> None:
        self.running = threading.Event()
        self.closed = threading.Event()

    def run(self) -> None:
        self.running.set()
        self.closed.wait(timeout=10)
        raise OSError("socket closed")

    def close(self) -> None:
        self.closed.set()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_server_as_a_stop_not_a_crash(signum: signal.Signals) -> None:
    server, stopping = _BlockingServer(), threading.Event()
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def send() -> None:
        server.running.wait(timeout=10)
        os.kill(os.getpid(), signum)

    threading.Thread(target=send, daemon=True).start()
    try:
        serve_until_signalled(server, stopping=stopping)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert server.closed.is_set() and stopping.is_set()


def test_a_server_that_fails_by_itself_raises() -> None:
    server, stopping = _BlockingServer(), threading.Event()
    server.closed.set()  # run() fails at once, and no signal asked for it
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with pytest.raises(OSError, match="socket closed"):
            serve_until_signalled(server, stopping=stopping)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    assert stopping.is_set()

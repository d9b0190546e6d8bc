"""wsgi_relay's streaming server on a real socket: bodies streamed, limits, deadlines, stop."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.fuzz.hostile import exchange, statuses
from tests.support.waiting import wait_for
from wsgi_relay.body_limit import BodyLimit
from wsgi_relay.paced_body import Pace
from wsgi_relay.server import Limits, StreamingServer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def counting_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answers the body's size, read in pieces; a 4xx in JSON for a werkzeug error."""
    from werkzeug.exceptions import HTTPException

    size = 0
    try:
        while piece := environ["wsgi.input"].read(1 << 16):
            size += len(piece)
    except HTTPException as e:
        body = json.dumps({"error": e.description}).encode()
        start_response(f"{e.code} Error", [("Content-Length", str(len(body)))])
        return [body]
    answer = str(size).encode()
    start_response("200 OK", [("Content-Length", str(len(answer)))])
    return [answer]


@pytest.fixture
def serve() -> Iterator[list[StreamingServer]]:
    started: list[StreamingServer] = []
    yield started
    for server in started:
        server.close()


def start(started: list[StreamingServer], limits: Limits, *, limit: int = 0) -> int:
    app = BodyLimit(counting_app, max_bytes=limit, setting="TEST_MAX_BODY_BYTES")
    server = StreamingServer(app, host="127.0.0.1", port=0, ident="test", limits=limits)
    threading.Thread(target=server.run, daemon=True).start()
    started.append(server)
    return int(server.socket.getsockname()[1])


def complete(answer: bytes) -> bool:
    """Whether `answer` holds a whole response: its head and as many bytes as it announced."""
    head, _, body = answer.partition(b"\r\n\r\n")
    match = re.search(rb"Content-Length: (\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


def post(length: int, body: bytes) -> bytes:
    return b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (length, body)


def test_a_body_is_handed_to_the_app_as_it_arrives_and_counted_whole(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, io_seconds=10))
    body = b"x" * (3 << 20)

    answer = exchange(port, post(len(body), body))

    assert statuses(answer) == [200]
    assert answer.endswith(b"\r\n\r\n%d" % len(body))


def test_a_body_declared_over_the_limit_is_a_413_naming_the_setting(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, io_seconds=10), limit=100)

    answer = exchange(port, post(101, b"x" * 101))

    assert statuses(answer) == [413]
    assert "TEST_MAX_BODY_BYTES" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_a_chunked_body_growing_past_the_limit_is_a_413(serve: list[StreamingServer]) -> None:
    port = start(serve, Limits(threads=2, io_seconds=10), limit=100)
    chunks = b"40\r\n" + b"x" * 64 + b"\r\n" + b"40\r\n" + b"y" * 64 + b"\r\n0\r\n\r\n"

    answer = exchange(
        port, b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
    )

    assert statuses(answer) == [413]


def test_a_client_trickling_its_headers_is_cut_off_at_the_header_deadline(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, io_seconds=30, header_seconds=1.0))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
        started = time.monotonic()

        def closed() -> bool:
            try:
                sock.send(b"x")
                sock.settimeout(0.2)
                return sock.recv(1024) == b""
            except TimeoutError:
                return False
            except OSError:
                return True

        wait_for(closed, timeout=8, what="the server to cut off the trickling client")

    assert time.monotonic() - started < 5


def test_a_body_that_trickles_below_the_pace_is_a_408_with_a_reason(
    serve: list[StreamingServer],
) -> None:
    pace = Pace(grace=1.0, min_rate=1000)
    port = start(serve, Limits(threads=2, io_seconds=30, pace=pace))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(post(100_000, b"{"))
        answer = b""

        def answered() -> bool:
            nonlocal answer
            try:
                sock.send(b"x")
                sock.settimeout(0.2)
                answer += sock.recv(65536)
            except (TimeoutError, OSError):
                pass
            return complete(answer)

        wait_for(answered, timeout=8, what="the server to answer the slow body")

    assert statuses(answer) == [408]
    assert b"too slowly" in answer


def test_idle_connections_take_no_thread_from_the_next_request(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, io_seconds=30))
    idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(20)]
    try:
        answer = exchange(port, post(3, b"abc"), timeout=3)
    finally:
        for sock in idle:
            sock.close()

    assert statuses(answer) == [200]


def test_close_from_another_thread_ends_run() -> None:
    server = StreamingServer(
        counting_app, host="127.0.0.1", port=0, ident="test", limits=Limits(threads=2, io_seconds=5)
    )
    runner = threading.Thread(target=server.run)
    runner.start()

    server.close()
    runner.join(timeout=10)

    assert not runner.is_alive()


def test_a_repeated_header_reaches_the_app_joined_not_as_its_last_value(
    serve: list[StreamingServer],
) -> None:
    def echo(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = environ.get("HTTP_AUTHORIZATION", "").encode()
        start_response("200 OK", [("Content-Length", str(len(body)))])
        return [body]

    server = StreamingServer(
        echo, host="127.0.0.1", port=0, ident="test", limits=Limits(threads=2, io_seconds=5)
    )
    threading.Thread(target=server.run, daemon=True).start()
    serve.append(server)
    port = int(server.socket.getsockname()[1])

    answer = exchange(
        port,
        b"GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer wrong\r\n"
        b"Authorization: Bearer right\r\nConnection: close\r\n\r\n",
    )

    assert answer.endswith(b"\r\n\r\nBearer wrong, Bearer right")


def trickling(port: int, head: bytes, count: int) -> list[socket.socket]:
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    for sock in socks:
        sock.sendall(head)
    return socks


def test_clients_trickling_their_headers_take_no_worker_from_the_next_request(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, max_threads=2, io_seconds=30))
    socks = trickling(port, b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: a", 50)
    try:
        for sock in socks:
            sock.send(b"b")  # the trickle goes on
        started = time.monotonic()
        answer = exchange(port, post(3, b"abc"), timeout=3)
        waited = time.monotonic() - started
    finally:
        for sock in socks:
            sock.close()

    assert statuses(answer) == [200]
    assert waited < 1


def test_a_head_sent_a_byte_at_a_time_reaches_the_app_whole(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, io_seconds=30))
    request = post(5, b"hello") + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for byte in request:
            sock.send(bytes([byte]))
        answer = b""
        while piece := sock.recv(65536):
            answer += piece

    assert statuses(answer) == [200, 200]
    assert b"\r\n\r\n5" in answer


def test_the_pool_grows_past_its_floor_while_bodies_trickle_so_the_next_request_is_served(
    serve: list[StreamingServer],
) -> None:
    port = start(serve, Limits(threads=2, max_threads=64, io_seconds=30))
    socks = trickling(port, post(100_000, b"{"), 20)
    try:
        started = time.monotonic()
        answer = exchange(port, post(3, b"abc"), timeout=3)
        waited = time.monotonic() - started
        grown = serve[0].requests.size
    finally:
        for sock in socks:
            sock.close()

    assert statuses(answer) == [200]
    assert waited < 1
    assert 21 <= grown <= 64  # a worker for each body and one for the request


def test_the_pool_grows_no_further_than_its_cap(serve: list[StreamingServer]) -> None:
    port = start(serve, Limits(threads=2, max_threads=4, io_seconds=30))
    socks = trickling(port, post(100_000, b"{"), 10)
    try:
        wait_for(lambda: serve[0].requests.size == 4 or None, timeout=5, what="the pool at its cap")
        assert serve[0].requests.size == 4
    finally:
        for sock in socks:
            sock.close()

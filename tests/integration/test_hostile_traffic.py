"""Hostile traffic on the wire against the real stack's servers (issue 10, item 3).

Raw sockets, not an HTTP client that would tidy the bytes up: malformed and oversized request
lines and headers, odd but valid chunked bodies and broken ones, pipelining, clients that
trickle bytes, a thousand idle connections. Each is bounded by a limit or a timeout of
`wsgi_relay.server`; `/health` and `/events` keep answering; no client's mistake is a 5xx.
docs/RELIABILITY.md has the results.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests

from tests.fuzz.hostile import MALFORMED_REQUESTS, TOLERATED_REQUESTS, exchange, statuses
from tests.integration.test_gateway import Service, deploy_service
from tests.support.stack import RunningStack
from tests.support.waiting import wait_for
from wsgi_relay.paced_body import Pace
from wsgi_relay.server import HEADER_SECONDS

PACE = Pace()


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None, url
    return port


@pytest.fixture(scope="module")
def upper(stack: RunningStack) -> Service:
    return deploy_service(stack, "hostile", "ok")


@pytest.fixture(scope="module")
def servers(stack: RunningStack) -> dict[str, int]:
    """Our two public HTTP servers of the stack: the gateway and the faas-provider."""
    return {
        "gateway": port_of(stack.gateway_url),
        "provider": port_of(stack.status["provider"]["url"]),
    }


def health_ms(stack: RunningStack) -> float:
    started = time.monotonic()
    answer = requests.get(f"{stack.gateway_url}/health", timeout=5)
    assert answer.status_code == 200, answer.text
    return (time.monotonic() - started) * 1000


def webhook(stack: RunningStack) -> bytes:
    return f"Authorization: Bearer {stack.status['minio']['webhook_token']}".encode()


def events_ms(stack: RunningStack) -> float:
    """An empty MinIO notification (a record list of none) through the webhook route."""
    token = stack.status["minio"]["webhook_token"]
    started = time.monotonic()
    answer = requests.post(
        f"{stack.gateway_url}/events",
        data=b'{"Records": []}',
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code < 300, answer.text
    return (time.monotonic() - started) * 1000


def run_request(service: Service, body: bytes, *, chunked: bool, close: bool = False) -> bytes:
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % len(body)
    return (
        b"POST /run/%s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        b"X-Filename: in.txt\r\n%s\r\n%s\r\n"
        % (
            service.name.encode(),
            service.token.encode(),
            framing,
            b"Connection: close\r\n" if close else b"",
        )
        + body
    )


@pytest.mark.parametrize("server", ["gateway", "provider"])
@pytest.mark.parametrize("name", sorted(MALFORMED_REQUESTS))
def test_a_malformed_request_is_a_4xx_and_the_server_answers_the_next(
    stack: RunningStack, servers: dict[str, int], server: str, name: str
) -> None:
    answer = exchange(servers[server], MALFORMED_REQUESTS[name])

    codes = statuses(answer)
    assert codes, f"no answer to {name!r}: {answer[:200]!r}"
    assert all(400 <= code < 500 for code in codes), (codes, answer[:300])
    assert health_ms(stack) < 2000


@pytest.mark.parametrize("name", sorted(TOLERATED_REQUESTS))
def test_a_tolerated_oddity_is_answered_as_the_request_it_resembles(
    servers: dict[str, int], name: str
) -> None:
    answer = exchange(servers["gateway"], TOLERATED_REQUESTS[name])

    assert statuses(answer) == [200], answer[:300]


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        (b"3;name=value\r\nabc\r\n0\r\n\r\n", b"ABC"),
        (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
        (b"1\r\na\r\n1\r\nb\r\n0\r\nX-Trailer: yes\r\n\r\n", b"AB"),
        (b"0\r\n\r\n", b""),
    ],
    ids=["extension", "upper-case-hex", "one-byte-chunks-and-a-trailer", "empty"],
)
def test_an_odd_but_valid_chunked_run_reaches_the_script_whole(
    servers: dict[str, int], upper: Service, chunks: bytes, expected: bytes
) -> None:
    answer = exchange(servers["gateway"], run_request(upper, chunks, chunked=True, close=True))

    assert statuses(answer) == [200], answer[:400]
    assert answer.endswith(b"\r\n\r\n" + expected) or expected in answer.split(b"\r\n\r\n", 1)[1]


@pytest.mark.parametrize(
    "chunks",
    [b"zz\r\nab\r\n0\r\n\r\n", b"2\r\nabcdef\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\nab\r\n"],
    ids=["bad-size", "longer-than-it-says", "huge-size"],
)
def test_a_broken_chunked_run_is_a_400_with_a_json_reason(
    servers: dict[str, int], upper: Service, chunks: bytes
) -> None:
    answer = exchange(servers["gateway"], run_request(upper, chunks, chunked=True, close=True))

    assert statuses(answer) == [400], answer[:400]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_pipelined_runs_and_a_health_check_are_answered_in_order(
    servers: dict[str, int], upper: Service
) -> None:
    pipelined = (
        run_request(upper, b"first", chunked=False)
        + run_request(upper, b"6\r\nsecond\r\n0\r\n\r\n", chunked=True)
        + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )

    answer = exchange(servers["gateway"], pipelined)

    assert statuses(answer) == [200, 200, 200], answer[:600]
    assert answer.index(b"FIRST") < answer.index(b"SECOND") < answer.index(b'"status"')


def test_a_body_declared_over_the_limit_is_a_413_before_a_byte_is_read(
    servers: dict[str, int], upper: Service
) -> None:
    declared = (9 << 30) + 1  # GATEWAY_MAX_BODY_BYTES is 8 GiB unless set
    head = run_request(upper, b"", chunked=False).replace(
        b"Content-Length: 0", b"Content-Length: %d" % declared
    )

    answer = exchange(servers["gateway"], head + b"only a few bytes")

    assert statuses(answer) == [413], answer[:400]
    assert "GATEWAY_MAX_BODY_BYTES" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


@contextlib.contextmanager
def tricklers(port: int, heads: list[bytes]) -> Iterator[list[socket.socket]]:
    """One connection per head, each sending its head then one byte a second, until the block
    ends or the server closes it; yields the sockets."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in heads]
    for sock, head in zip(socks, heads, strict=True):
        sock.sendall(head)
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(1.0):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join()
        for sock in socks:
            sock.close()


def closed_by_server(sock: socket.socket) -> bool:
    """True once the server has answered or closed: a read that does not time out."""
    sock.settimeout(0.05)
    try:
        return sock.recv(65536, socket.MSG_PEEK) is not None
    except TimeoutError:
        return False
    except OSError:
        return True


def test_two_hundred_trickling_clients_are_cut_off_while_health_and_events_keep_answering(
    stack: RunningStack, servers: dict[str, int]
) -> None:
    """Far more tricklers than the gateway's 32 workers of before: heads wait in the selector,
    bodies take workers the pool adds, so neither delays /health or /events."""
    slow_body = b"POST /events HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: 100000\r\n\r\n{"
    heads = [b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "] * 100
    heads += [slow_body % webhook(stack)] * 100
    bound = max(HEADER_SECONDS, PACE.grace) + 10  # a few seconds for the deadlines' tick
    with tricklers(servers["gateway"], heads) as socks:
        started = time.monotonic()
        waits = []
        while time.monotonic() - started < PACE.grace + 2:
            waits += [health_ms(stack), events_ms(stack)]
            time.sleep(0.25)  # the pace of the probes, not a synchronisation
        wait_for(
            lambda: all(closed_by_server(s) for s in socks) or None,
            timeout=bound,
            what="the server to cut off every trickling client",
        )

    assert max(waits) < 1000, sorted(waits)[-5:]


def test_a_thousand_idle_connections_leave_health_answering(
    stack: RunningStack, servers: dict[str, int]
) -> None:
    idle = [
        socket.create_connection(("127.0.0.1", servers["gateway"]), timeout=5) for _ in range(500)
    ]
    kept_alive = []
    for _ in range(500):
        sock = socket.create_connection(("127.0.0.1", servers["gateway"]), timeout=5)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        kept_alive.append(sock)
    try:
        waits = [health_ms(stack) for _ in range(20)] + [events_ms(stack) for _ in range(5)]
    finally:
        for sock in idle + kept_alive:
            sock.close()

    assert max(waits) < 1000, sorted(waits)[-5:]

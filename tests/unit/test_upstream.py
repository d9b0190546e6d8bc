"""wsgi_relay's next-hop client (http.client with kept-alive connections) against a real server,
and the held head of the server's answers."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

import pytest

from tests.support.waiting import free_port
from wsgi_relay.held_writes import HeldWriter
from wsgi_relay.server import Limits, StreamingServer
from wsgi_relay.upstream import HopFailed, Timeouts, Upstreams

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def echo_app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answers what it was sent and on which connection; `/close` closes it after, `/big`
    answers 1 MiB."""
    body = environ["wsgi.input"].read()
    path = environ["PATH_INFO"]
    if path == "/big":
        start_response("200 OK", [("Content-Length", str(1 << 20))])
        return [b"b" * (1 << 20)]
    answer = json.dumps(
        {
            "port": environ["REMOTE_PORT"],
            "body": body.decode(),
            "path": path,
            "query": environ.get("QUERY_STRING", ""),
            "chunked": environ.get("HTTP_TRANSFER_ENCODING", ""),
            "accept_encoding": environ.get("HTTP_ACCEPT_ENCODING"),
        }
    ).encode()
    headers = [("Content-Length", str(len(answer))), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]
    if path == "/close":
        headers.append(("Connection", "close"))
    start_response("200 OK", headers)
    return [answer]


@pytest.fixture
def base() -> Iterator[str]:
    server = StreamingServer(
        echo_app, host="127.0.0.1", port=0, ident="test", limits=Limits(threads=4, io_seconds=30)
    )
    threading.Thread(target=server.run, daemon=True).start()
    yield f"http://127.0.0.1:{server.port}"
    server.close()


@pytest.fixture
def upstreams() -> Iterator[Upstreams]:
    made = Upstreams(timeouts=Timeouts(connect=5.0, read=30.0))
    yield made
    made.close()


def call(
    upstreams: Upstreams, base: str, target: str = "/x", body: bytes = b"hi"
) -> dict[str, str]:
    answer = upstreams.send(
        "POST", base, target, headers={"Content-Length": str(len(body))}, body=body
    )
    try:
        assert answer.status == 200
        read: dict[str, str] = json.loads(answer.read())
        return read
    finally:
        answer.release()


def test_calls_read_to_the_end_share_one_kept_alive_connection(
    base: str, upstreams: Upstreams
) -> None:
    answers = [call(upstreams, base, body=f"call {n}".encode()) for n in range(5)]

    assert {a["port"] for a in answers} == {answers[0]["port"]}
    assert [a["body"] for a in answers] == [f"call {n}" for n in range(5)]


def test_a_connection_the_server_closes_or_an_answer_left_unread_is_not_reused(
    base: str, upstreams: Upstreams
) -> None:
    closing = call(upstreams, base, "/close")
    after_close = call(upstreams, base)
    unread = upstreams.send("POST", base, "/big", headers={"Content-Length": "0"}, body=None)
    assert next(unread.stream(1024)) == b"b" * 1024
    unread.release()  # 1 MiB less 1 KiB still unread: that connection must go
    after_unread = call(upstreams, base)

    assert closing["port"] != after_close["port"]
    assert after_unread["port"] != after_close["port"]


def test_headers_path_and_query_arrive_as_given_and_repeated_answer_headers_stay_apart(
    base: str, upstreams: Upstreams
) -> None:
    answer = upstreams.send(
        "POST", base, "/a/b%20c?x=1&y=2", headers={"Content-Length": "0"}, body=None
    )
    seen = json.loads(answer.read())
    cookies = [v for k, v in answer.headers if k == "Set-Cookie"]
    answer.release()

    assert (seen["path"], seen["query"]) == ("/a/b c", "x=1&y=2")
    assert seen["accept_encoding"] is None  # http.client's own `identity` is not added
    assert cookies == ["a=1", "b=2"]


def test_a_body_of_unknown_length_goes_chunked_and_arrives_whole(
    base: str, upstreams: Upstreams
) -> None:
    answer = upstreams.send(
        "POST", base, "/x", headers={}, body=iter([b"one ", b"two ", b"three"]), chunked=True
    )
    seen = json.loads(answer.read())
    answer.release()

    assert (seen["body"], seen["chunked"].lower()) == ("one two three", "chunked")


def test_an_address_nobody_listens_on_is_a_hop_failure_naming_it(upstreams: Upstreams) -> None:
    port = free_port()

    with pytest.raises(HopFailed, match=f"127.0.0.1:{port}/x"):
        upstreams.send("POST", f"http://127.0.0.1:{port}", "/x", headers={}, body=None)


def test_an_address_that_is_not_http_is_refused(upstreams: Upstreams) -> None:
    with pytest.raises(HopFailed, match="not an http://host:port address"):
        upstreams.send("GET", "https://example.invalid", "/", headers={}, body=None)


def test_a_held_head_leaves_with_the_first_piece_of_the_body_in_one_write() -> None:
    ours, theirs = socket.socketpair()
    try:
        writer = HeldWriter(ours, "wb")
        theirs.setblocking(False)
        writer.held = True
        writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
        with pytest.raises(BlockingIOError):  # nothing has left yet
            theirs.recv(100)
        writer.write(b"body")
        writer.release()
        theirs.setblocking(True)

        assert theirs.recv(100) == b"HTTP/1.1 200 OK\r\n\r\nbody"
        writer.write(b" more")  # not held any longer: sent at once
        assert theirs.recv(100) == b" more"
    finally:
        ours.close()
        theirs.close()

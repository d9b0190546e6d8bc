"""The next hop of a relayed call, over the standard library's `http.client`, with idle
keep-alive connections kept per address.

Every sync call crosses two of these (the gateway to OpenFaaS, the provider to a replica), and
the queue-worker's async calls one. urllib3's `PoolManager` spent about 555 us of CPU on a 1 KiB
call where `http.client` on the same kept-alive connection spent 215-250 us
(`python -m bench.relay_clients`): about 0.6 ms of the 3 ms that a small `/run` may add. What
urllib3 gave the relays and this keeps: idle connections reused per address, an idle connection
the server has closed noticed before it is reused, the connect and read timeouts apart. What
neither does: retries (a replayed POST could run a script twice), redirects (a 302 reaches the
caller as it is), decoding (bodies pass as they are).
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from wsgi_relay.messages import CHUNK

Body = bytes | IO[bytes] | Iterable[bytes] | None


class HopFailed(Exception):
    """The next hop was not reached, or broke off its answer."""


@dataclass(frozen=True)
class Timeouts:
    connect: float
    read: float


class Answer:
    """The next hop's answer, read as a stream; `release` (always called) hands a connection
    whose answer was read to the end back to its pool, and closes any other."""

    def __init__(
        self,
        response: http.client.HTTPResponse,
        *,
        conn: http.client.HTTPConnection,
        back: _Idle,
    ) -> None:
        self._response = response
        self._conn = conn
        self._back = back
        self._done = False

    @property
    def status(self) -> int:
        return self._response.status

    @property
    def headers(self) -> list[tuple[str, str]]:
        return self._response.getheaders()

    def header(self, name: str) -> str | None:
        return self._response.getheader(name)

    def stream(self, size: int = CHUNK) -> Iterator[bytes]:
        """The body in pieces of `size` bytes (the last one shorter), each sent on as soon as
        it is whole; HopFailed when the hop breaks off."""
        try:  # whole pieces (a chunked answer's small chunks joined), as urllib3 read them
            while piece := self._response.read(size):
                yield piece
        except (OSError, http.client.HTTPException) as e:
            raise HopFailed(f"the answer broke off: {e!r}") from e
        self._done = True

    def read(self) -> bytes:
        return b"".join(self.stream())

    def release(self) -> None:
        if self._done and not self._response.will_close:
            self._back.put(self._conn)
        else:
            self._response.close()
            self._conn.close()


class _Idle:
    """One address's idle connections."""

    def __init__(self, host: str, port: int, *, timeouts: Timeouts, most: int) -> None:
        self._host, self._port = host, port
        self._timeouts = timeouts
        self._most = most
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []

    def take(self, read_timeout: float | None) -> http.client.HTTPConnection:
        conn = self._reused_or_new()
        conn.sock.settimeout(read_timeout or self._timeouts.read)
        return conn

    def _reused_or_new(self) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                fresh = http.client.HTTPConnection(
                    self._host, self._port, timeout=self._timeouts.connect, blocksize=CHUNK
                )
                fresh.connect()
                assert fresh.sock is not None
                # http.client sends a body apart from its head: without this, Nagle's algorithm
                # holds a small body until the hop's delayed ACK, some 40 ms (urllib3 sets it).
                fresh.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return fresh
            if not _dropped(conn):
                return conn
            conn.close()

    def put(self, conn: http.client.HTTPConnection) -> None:
        """A connection whose answer was read to its end, kept unless enough are idle."""
        with self._lock:
            if len(self._idle) < self._most:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()


class Upstreams:
    """Calls to any number of addresses (`http://host:port`); thread-safe."""

    def __init__(self, *, timeouts: Timeouts, per_address: int = 64, addresses: int = 256):
        self._timeouts = timeouts
        self._per_address = per_address
        self._most_addresses = addresses
        self._lock = threading.Lock()
        self._pools: OrderedDict[str, _Idle] = OrderedDict()

    def send(
        self,
        method: str,
        base: str,
        target: str,
        *,
        headers: Mapping[str, str],
        body: Body,
        chunked: bool = False,
        read_timeout: float | None = None,
    ) -> Answer:
        """`target` (path and query) at `base`, the headers as given (Host is `base`'s), the
        body sent chunked when `chunked` (else `headers` carry its Content-Length); each read
        waits at most `read_timeout` (the pool's when None)."""
        pool = self._pool(base)
        conn: http.client.HTTPConnection | None = None
        try:
            conn = pool.take(read_timeout)
            conn.putrequest(method, target, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if chunked:
                conn.putheader("Transfer-Encoding", "chunked")
            # A hop may answer (and close) before it read the whole body: read that answer.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                conn.endheaders(body, encode_chunked=chunked)
            response = conn.getresponse()
        except (OSError, http.client.HTTPException) as e:
            if conn is not None:
                conn.close()
            raise HopFailed(f"{method} {base}{target}: {e!r}") from e
        return Answer(response, conn=conn, back=pool)

    def _pool(self, base: str) -> _Idle:
        with self._lock:
            pool = self._pools.get(base)
            if pool is not None:
                self._pools.move_to_end(base)
                return pool
            parts = urlsplit(base)
            if parts.scheme != "http" or not parts.hostname:
                raise HopFailed(f"{base!r} is not an http://host:port address")
            pool = _Idle(
                parts.hostname,
                parts.port or 80,
                timeouts=self._timeouts,
                most=self._per_address,
            )
            self._pools[base] = pool
            evicted = []
            while len(self._pools) > self._most_addresses:
                evicted.append(self._pools.popitem(last=False)[1])
        for old in evicted:
            old.close()
        return pool

    def close(self) -> None:
        with self._lock:
            pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            pool.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle connection can no longer carry a request: the server closed it (it is
    readable: its end of file) or it has gone."""
    if conn.sock is None:
        return True
    poller = select.poll()
    poller.register(conn.sock, select.POLLIN)
    return bool(poller.poll(0))

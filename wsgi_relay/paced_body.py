"""A request body that must keep coming: the reading side of a streaming server's pacing.

Time spent waiting on the client counts, time the app spends elsewhere (waiting for the next
hop to take the bytes, or for a replica to start) does not: after `grace` seconds of waiting a
client must have sent at least `min_rate` bytes per second of waiting, or the read is cut off
and the request answered 408 (`BodyTooSlow`). A body that ends before its Content-Length is the
client's mistake too: 400 (`BodyCutShort`). Neither is ever a 5xx.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import BadRequest, RequestTimeout

from wsgi_relay.deadlines import Deadlines

PIECE = 1 << 16  # each wait on the client is at most one read of this size


@dataclass(frozen=True)
class Pace:
    grace: float = 10.0
    min_rate: float = 1024.0  # bytes per second of waiting on the client, after the grace


class BodyTooSlow(RequestTimeout):
    def __init__(self, pace: Pace, got: int, waited: float) -> None:
        super().__init__(
            f"the request body came too slowly: {got} bytes in {waited:.1f} s of waiting, "
            f"expected at least {pace.min_rate:.0f} bytes a second after {pace.grace:.0f} s; "
            "send the body as fast as the network allows"
        )


class BodyCutShort(BadRequest):
    def __init__(self, got: int, length: int) -> None:
        super().__init__(
            f"the request body ended after {got} of the {length} bytes its Content-Length "
            "announced; send the whole body, or the right Content-Length"
        )


class PacedBody:
    """`stream` (the server's body reader) read under a deadline on `sock` per piece."""

    def __init__(
        self,
        stream: Any,
        *,
        sock: socket.socket,
        deadlines: Deadlines,
        pace: Pace,
        length: int | None,
    ) -> None:
        self._stream = stream
        self._sock = sock
        self._deadlines = deadlines
        self._pace = pace
        self._length = length
        self._got = 0
        self._waited = 0.0

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (all that is left for None or negative), short only at the end."""
        wanted = -1 if size is None or size < 0 else size
        pieces: list[bytes] = []
        while wanted != 0:
            piece = self._piece(self._stream.read, PIECE if wanted < 0 else min(wanted, PIECE))
            if not piece:
                break
            pieces.append(piece)
            wanted = wanted - len(piece) if wanted > 0 else wanted
        return b"".join(pieces)

    def readline(self, size: int | None = -1) -> bytes:
        return self._piece(self._stream.readline, PIECE if size is None or size < 0 else size)

    def __iter__(self) -> PacedBody:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _piece(self, read: Any, size: int) -> bytes:
        allowance = self._pace.grace + self._got / self._pace.min_rate - self._waited
        started = time.monotonic()
        with self._deadlines.watch(self._sock, max(allowance, 0.01)) as watch:
            try:
                data: bytes = read(size)
            except (ValueError, OverflowError) as e:  # cheroot's word for a malformed chunk
                if watch.expired:
                    raise BodyTooSlow(self._pace, self._got, self._waited) from None
                raise BadRequest(f"the chunked request body is malformed: {e}") from None
            except OSError:
                if watch.expired:
                    raise BodyTooSlow(self._pace, self._got, self._waited) from None
                raise
            finally:
                self._waited += time.monotonic() - started
        if watch.expired:
            raise BodyTooSlow(self._pace, self._got, self._waited)
        self._got += len(data)
        if not data and self._length is not None and self._got < self._length:
            raise BodyCutShort(self._got, self._length)
        return data

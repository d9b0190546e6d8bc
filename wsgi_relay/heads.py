"""Request heads gathered in cheroot's selector thread, so a client trickling its request line
and headers holds no worker thread (issue 10: 50 such clients against 32 threads starved
`/health` for the whole header deadline).

Each time a connection is readable, the selector thread takes what has arrived without
blocking and keeps it in the connection's raw stream (`PrefixedSocketIO`, under cheroot's
buffered reader). Only once the head is complete (a blank line), too long for the header limit,
or the client hung up, does a worker take the connection: it then parses a head that is already
in memory, and reads the body from the socket as before. A head must be complete within the
header deadline of its first byte: the deadlines' watcher shuts the socket's reading side, the
selector wakes, and the connection is closed without ever reaching a worker.
"""

from __future__ import annotations

import enum
import os
import socket
from typing import TYPE_CHECKING, Any

from cheroot.makefile import StreamReader

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

    from wsgi_relay.deadlines import Deadlines, Watch

PIECE = 1 << 16
# A blank line ends a head: CRLF CRLF, or bare LFs, which the worker then refuses with a 400.
HEAD_ENDS = (b"\n\r\n", b"\n\n")


class PrefixedSocketIO(socket.SocketIO):
    """A socket's raw stream that first gives back the bytes the selector took for it."""

    def __init__(self, sock: socket.socket, mode: str) -> None:
        super().__init__(sock, mode)  # type: ignore[arg-type]  # typeshed's Literal modes
        self.prefix = bytearray()

    def readinto(self, b: WriteableBuffer) -> int | None:
        if not self.prefix:  # the body's reads: the plain socket's, called without super()
            return socket.SocketIO.readinto(self, b)
        view = memoryview(b).cast("B")
        n = min(len(view), len(self.prefix))
        view[:n] = self.prefix[:n]
        del self.prefix[:n]
        return n


class HeadReader(StreamReader):
    """cheroot's socket reader over a `PrefixedSocketIO`."""

    def __init__(self, sock: socket.socket, mode: str = "rb", bufsize: int = PIECE) -> None:
        super(StreamReader, self).__init__(PrefixedSocketIO(sock, mode), bufsize)
        self.bytes_read = 0


class Head(enum.Enum):
    COMPLETE = "complete"  # a worker can parse it (or refuse it) without waiting on the client
    WAITING = "waiting"  # back to the selector until more arrives
    CUT = "cut"  # its deadline passed: close the connection


class HeadGatherer:
    """What the selector thread does with a readable connection (one thread at a time owns a
    connection, so no lock: the selector, or the worker that puts a kept-alive one back)."""

    def __init__(self, *, deadlines: Deadlines, seconds: float, max_bytes: int) -> None:
        self._deadlines = deadlines
        self._seconds = seconds
        self._max_bytes = max_bytes

    def gather(self, conn: Any) -> Head:
        rfile: HeadReader = conn.rfile
        raw: PrefixedSocketIO = rfile.raw  # type: ignore[assignment]
        if rfile.has_data():  # type: ignore[no-untyped-call]  # a pipelined request's start, read with the one before it
            raw.prefix[:0] = rfile.read1(PIECE)
        ended = _take_waiting_bytes(conn.socket, raw.prefix, self._max_bytes)
        watch: Watch | None = getattr(conn, "head_watch", None)
        if watch is not None and watch.expired:
            return Head.CUT
        if ended or len(raw.prefix) > self._max_bytes or any(e in raw.prefix for e in HEAD_ENDS):
            if watch is not None:
                self._deadlines.end(watch)
                conn.head_watch = None
            return Head.COMPLETE
        if raw.prefix and watch is None:  # its first byte: the header deadline starts
            conn.head_watch = self._deadlines.begin(conn.socket, self._seconds)
        return Head.WAITING


def _take_waiting_bytes(sock: socket.socket, into: bytearray, max_bytes: int) -> bool:
    """Append what `sock` holds now to `into`, never blocking; True if the client hung up or
    the socket failed (a worker then finds out which and closes it).

    A socket with a timeout is non-blocking underneath (Python's socket documentation, "Notes
    on socket timeouts"), so a plain `os.read` of its descriptor returns at once: one system
    call, where `recv` would first wait for the socket to be readable."""
    if not sock.gettimeout():
        raise ValueError("the selector reads heads of sockets with a timeout only")
    try:
        while len(into) <= max_bytes:
            piece = os.read(sock.fileno(), PIECE)
            if not piece:
                return True
            into += piece
            if len(piece) < PIECE:  # drained: the next read would only say so
                return False
    except BlockingIOError:
        return False
    except OSError:
        return True
    return False

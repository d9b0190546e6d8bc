"""The HTTP server of the gateway and the provider: cheroot, which hands a request's body to the
app as it arrives (waitress read whole bodies first and spooled those past 1 MiB to temporary
files), with the limits that keep a hostile client from taking it over.

- A request's line and headers are gathered in cheroot's selector thread (`heads.py`), not in a
  worker: they must arrive within `header_seconds` of their first byte, else the connection is
  closed, and fit in `max_header_bytes` (a 413 or 414 past that). A client that trickles them
  holds no worker thread.
- An answer's head goes out with its body's first piece, in one write (`held_writes.py`).
- Between two requests a keep-alive connection waits in cheroot's selector, not in a thread:
  idle connections cost a file descriptor each, up to `max_keepalive`.
- A body must keep coming: past a grace, at least `pace.min_rate` bytes a second of waiting on
  the client (`paced_body.py`), else 408; and no single read or write waits more than
  `io_seconds`. A body holds a worker, so the pool grows from `threads` when none is free, up
  to `max_threads` (`pool.py`).

docs/BENCHMARKS.md measures cheroot against waitress, gunicorn and granian; docs/RELIABILITY.md
says what hostile traffic does to it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cheroot import server as http_server
from cheroot import wsgi

from wsgi_relay.deadlines import Deadlines
from wsgi_relay.heads import PIECE, Head, HeadGatherer, HeadReader
from wsgi_relay.held_writes import HeldWriter
from wsgi_relay.paced_body import Pace, PacedBody
from wsgi_relay.pool import GrowingPool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger(__name__)


HEADER_SECONDS = 10.0


@dataclass(frozen=True)
class Limits:
    threads: int  # the pool's floor
    io_seconds: float
    max_threads: int = 1024  # the pool's cap, when bodies take every worker
    header_seconds: float = HEADER_SECONDS
    max_header_bytes: int = 64 * 1024
    max_keepalive: int = 4096
    backlog: int = 1024
    pace: Pace = field(default_factory=Pace)


# cheroot's own 5xx answers to a client's mistakes, and what they are for a client: 4xx.
CLIENT_MISTAKES = {"501": "400 Bad Request", "505": "400 Bad Request"}


class _Headers(http_server.HeaderReader):
    """cheroot's header reading, but a repeated header is joined with commas as waitress did
    (cheroot kept the last, so a right credential after a wrong one passed), a repeated
    Content-Length, a space before a colon and an empty name are refused (400), and an obsolete
    folded line is unfolded into the header it continues."""

    def __call__(self, rfile: Any, hdict: dict[bytes, bytes] | None = None) -> dict[bytes, bytes]:
        headers = {} if hdict is None else hdict
        name = None
        while (line := rfile.readline()) != b"\r\n":
            if not line.endswith(b"\r\n"):
                raise ValueError("HTTP requires CRLF terminators" if line else "headers cut short")
            if line[:1] in {b" ", b"\t"}:
                if name is None:
                    raise ValueError("a folded line continues no header")
                headers[name] += b" " + line.strip()
                continue
            key, colon, value = line.partition(b":")
            if not colon or not key or key != key.strip():
                raise ValueError("Illegal header line.")
            name = key.title()
            if name in headers:
                if name == b"Content-Length":
                    raise ValueError("Content-Length is repeated")
                value = headers[name] + b", " + value.strip()
            headers[name] = value.strip()
        return headers


class _Request(http_server.HTTPRequest):
    """A request whose line and headers are read under the server's header deadline, whose
    header values carry no control bytes, and whose mistakes are never answered with a 5xx."""

    header_reader = _Headers()

    def parse_request(self) -> None:
        server: StreamingServer = self.server
        with server.deadlines.watch(self.conn.socket, server.header_seconds):
            super().parse_request()

    def read_request_headers(self) -> bool:
        if not super().read_request_headers():  # type: ignore[no-untyped-call]
            return False
        values = b"".join(self.inheaders.values())
        if any(byte < 0x20 and byte != 0x09 for byte in values) or 0x7F in values:
            self.simple_response("400 Bad Request", "a header value holds a control byte")
            return False
        return True

    def send_headers(self) -> None:
        """Held until the body's first piece, to go out with it (`held_writes.py`)."""
        self.conn.wfile.held = True
        super().send_headers()

    def write(self, chunk: bytes) -> None:
        super().write(chunk)
        self.conn.wfile.release()

    def respond(self) -> None:
        try:
            super().respond()
        finally:
            self.conn.wfile.release()

    def simple_response(self, status: str, msg: str = "") -> None:
        code = str(status)[:3]
        if code in CLIENT_MISTAKES:
            msg = f"{status}: {msg}" if msg else str(status)
            status = CLIENT_MISTAKES[code]
        super().simple_response(status, msg)


def make_file(sock: Any, mode: str = "r", bufsize: int = PIECE) -> Any:
    """cheroot's `MakeFile`, with a `HeadReader` for reading and a `HeldWriter` for writing."""
    return HeadReader(sock, mode, bufsize) if "r" in mode else HeldWriter(sock, mode, bufsize)


class _Connection(http_server.HTTPConnection):
    RequestHandlerClass = _Request

    def __init__(self, server: StreamingServer, sock: Any, makefile: Any = None) -> None:
        super().__init__(server, sock, make_file)


class _Gateway(wsgi.Gateway_10):
    """WSGI as cheroot makes it, with the body paced (`paced_body.py`)."""

    def get_environ(self) -> dict[str, Any]:  # type: ignore[override]  # cheroot's stub says None
        environ: dict[str, Any] = super().get_environ()  # type: ignore[no-untyped-call]
        server: StreamingServer = self.req.server
        text = environ.get("CONTENT_LENGTH") or ""
        environ["wsgi.input"] = PacedBody(
            environ["wsgi.input"],
            sock=self.req.conn.socket,
            deadlines=server.deadlines,
            pace=server.pace,
            length=int(text) if text.isdigit() else None,
        )
        return environ


class StreamingServer(wsgi.Server):
    """Bound and ready once built (so a busy port fails at start); `run` serves until `close`."""

    ConnectionClass = _Connection

    def __init__(self, app: WSGIApplication, *, host: str, port: int, ident: str, limits: Limits):
        super().__init__(
            (host, port),
            app,
            numthreads=limits.threads,
            server_name=ident,
            request_queue_size=limits.backlog,
            timeout=int(limits.io_seconds),
            shutdown_timeout=5,
        )
        self.max_request_header_size = limits.max_header_bytes
        self.max_request_body_size = 0  # the apps' own limit answers 413 in JSON
        self.keep_alive_conn_limit = limits.max_keepalive
        self.header_seconds = limits.header_seconds
        self.pace = limits.pace
        self.gateway = _Gateway
        self.deadlines = Deadlines(name=f"{ident}-deadlines")
        self.requests = GrowingPool(self, floor=limits.threads, cap=limits.max_threads)
        self.heads = HeadGatherer(
            deadlines=self.deadlines,
            seconds=limits.header_seconds,
            max_bytes=limits.max_header_bytes,
        )
        self._closing = threading.Lock()
        self._stopper: threading.Thread | None = None
        self.prepare()
        self.deadlines.start()

    def process_conn(self, conn: _Connection) -> None:
        """A connection goes to a worker once its request's head is complete: until then it
        waits in the selector, new or kept alive (cheroot hands a new one to a worker at once,
        and a worker read the head, so idle and trickling clients took every thread until their
        header deadline)."""
        head = self.heads.gather(conn)
        if head is Head.WAITING:
            self._connections.put(conn)  # type: ignore[attr-defined]  # cheroot's manager
        elif head is Head.CUT:
            conn.close()
        else:
            super().process_conn(conn)

    @property
    def port(self) -> int:
        return int(self.bind_addr[1])

    def run(self) -> None:
        try:
            self.serve()
        finally:
            if self._stopper is not None:
                self._stopper.join()

    def close(self) -> None:
        """Stop serving; safe in a signal handler of the thread in `run` (cheroot's own `stop`
        waits for that thread's loop to end, so it runs in a thread of its own)."""
        self.deadlines.stop()
        with self._closing:
            if self._stopper is None:
                self._stopper = threading.Thread(target=self.stop, name="server-stop")
                self._stopper.start()

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """cheroot's log lines into ours (it prints to stderr by default)."""
        log.log(level, "%s", msg, exc_info=traceback)

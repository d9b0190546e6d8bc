"""The HTTP server of the gateway and the provider: cheroot, which hands a request's body to the
app as it arrives (waitress read whole bodies first and spooled those past 1 MiB to temporary
files), with the limits that keep a hostile client from taking it over.

- A request's line and headers must arrive within `header_seconds` of its first byte and fit in
  `max_header_bytes` (a 413 or 414 past that): a client that trickles them is cut off
  (`deadlines.py`), so it holds a worker thread for at most that long.
- Between two requests a keep-alive connection waits in cheroot's selector, not in a thread:
  idle connections cost a file descriptor each, up to `max_keepalive`.
- Each read and write of a body waits at most `io_seconds` for the other side.

docs/BENCHMARKS.md measures cheroot against waitress, gunicorn and granian; docs/RELIABILITY.md
says what hostile traffic does to it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cheroot import server as http_server
from cheroot import wsgi

from wsgi_relay.deadlines import Deadlines

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    threads: int
    io_seconds: float
    header_seconds: float = 10.0
    max_header_bytes: int = 64 * 1024
    max_keepalive: int = 4096
    backlog: int = 1024


class _Request(http_server.HTTPRequest):
    """A request whose line and headers are read under the server's header deadline."""

    def parse_request(self) -> None:
        server: StreamingServer = self.server
        with server.deadlines.watch(self.conn.socket, server.header_seconds):
            super().parse_request()


class _Connection(http_server.HTTPConnection):
    RequestHandlerClass = _Request


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
        self.deadlines = Deadlines(name=f"{ident}-deadlines")
        self._closing = threading.Lock()
        self._stopper: threading.Thread | None = None
        self.prepare()
        self.deadlines.start()

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

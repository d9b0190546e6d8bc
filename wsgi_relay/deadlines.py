"""Deadlines on sockets: one thread that cuts off a connection whose deadline passed.

A blocking read cannot be given a total time, only a time per `recv`; a client that sends a
byte now and then keeps it waiting for ever. `Deadlines.watch` marks a socket for the length of
a block; once its deadline passes the watcher shuts the socket's reading side, the read returns
end of file (the block's `Watch.expired` says why) and the server drops the connection. One
thread and a dict for every connection, so a block costs a lock and two dict operations.
"""

from __future__ import annotations

import contextlib
import itertools
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

TICK = 0.25  # how late a deadline may be acted on, in seconds


@dataclass
class Watch:
    deadline: float
    sock: socket.socket
    key: int = -1
    expired: bool = False


class Deadlines:
    def __init__(self, *, name: str) -> None:
        self._watched: dict[int, Watch] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch_forever, name=name, daemon=True)
        self.expired = 0  # connections cut off, for tests and logs

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()

    @contextlib.contextmanager
    def watch(self, sock: socket.socket, seconds: float) -> Iterator[Watch]:
        """Within the block, `sock` is cut off `seconds` from now."""
        entry = self.begin(sock, seconds)
        try:
            yield entry
        finally:
            self.end(entry)

    def begin(self, sock: socket.socket, seconds: float) -> Watch:
        """`sock` is cut off `seconds` from now, unless `end` comes first (for a watch that
        spans calls, as a head gathered in the selector does)."""
        entry = Watch(time.monotonic() + seconds, sock, next(self._ids))
        with self._lock:
            self._watched[entry.key] = entry
        return entry

    def end(self, entry: Watch) -> None:
        with self._lock:
            self._watched.pop(entry.key, None)

    def _watch_forever(self) -> None:
        while not self._stopping.wait(TICK):
            now = time.monotonic()
            with self._lock:
                late = [k for k, entry in self._watched.items() if entry.deadline <= now]
                entries = [self._watched.pop(k) for k in late]
            for entry in entries:
                entry.expired = True
                self.expired += 1
                with contextlib.suppress(OSError):  # closed already
                    entry.sock.shutdown(socket.SHUT_RD)

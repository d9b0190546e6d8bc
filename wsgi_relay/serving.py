"""A WSGI server's life in the provider and the gateway: it runs until SIGTERM or SIGINT, and a
close() that makes run() fail with OSError is a stop, not a crash."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Protocol


class Server(Protocol):
    def run(self) -> None: ...
    def close(self) -> None: ...


def serve_until_signalled(server: Server, *, stopping: threading.Event) -> None:
    """Run `server` until a signal stops it; `stopping` is set when it returns, however it ends,
    so the caller's loops can wind down in its `finally`."""

    def _stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        server.close()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        server.run()
    except OSError:
        if not stopping.is_set():
            raise
    finally:
        stopping.set()

"""Wait on a condition with a deadline: the only way tests synchronise with servers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import TypeVar

import requests

T = TypeVar("T")


class Timeout(AssertionError):
    pass


def wait_for(
    probe: Callable[[], T | None], *, timeout: float, what: str, interval: float = 0.02
) -> T:
    """Call `probe` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = probe()
        except (OSError, requests.RequestException) as e:
            last_error = e
            value = None
        if value:
            return value
        time.sleep(interval)
    raise Timeout(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


def http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        return requests.get(url, timeout=1).status_code == 200

    return probe


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port

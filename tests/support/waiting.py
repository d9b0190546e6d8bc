"""Wait on a condition with a deadline: the only way tests synchronise with servers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import requests

from provider.ports import free_port

__all__ = ["Timeout", "free_port", "wait_for"]

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

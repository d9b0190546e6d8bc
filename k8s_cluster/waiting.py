"""Wait on a condition with a deadline: the only way this package waits for anything."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    condition: Callable[[], bool | str],
    *,
    timeout: float,
    interval: float = 0.1,
) -> tuple[bool, str]:
    """Poll `condition` until it returns True or the deadline passes.

    A condition may return a string to say why it is not true yet; the last one is returned
    with False, so the caller's error can say what it last saw.
    """
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        try:
            result = condition()
        except OSError as e:  # connection refused while a server starts: not yet, not fatal
            result = f"{type(e).__name__}: {e}"
        if result is True:
            return True, ""
        last = result if isinstance(result, str) else last
        if time.monotonic() >= deadline:
            return False, last
        time.sleep(interval)

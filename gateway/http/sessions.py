"""The dashboard's logins: a server-side session per browser, named by an HttpOnly cookie.

A session stands for the admin, as basic auth or the admin token do, so the dashboard calls the
same routes the CLI calls. What a cookie adds is the risk of a request another site makes the
browser send: the cookie is `SameSite=Strict`, and every change (any method but GET/HEAD/OPTIONS)
must also carry the session's CSRF token in `X-CSRF-Token` (or the `csrf` form field), which
only a page of the gateway can read. A session unused for `idle` seconds is gone; logging out
ends it at once. Wrong logins are slowed down: each one from the same address in a row waits
longer before its answer (up to `MAX_DELAY`), so guessing the password is slow.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from gateway.tokens import fingerprint, new_token, same

COOKIE = "oscar_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IDLE_SECONDS = 30 * 60.0
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
MAX_ADDRESSES = 10_000  # wrong logins remembered; past that the count starts again


@dataclass
class Session:
    csrf: str
    last_seen: float


class Sessions:
    """Sessions in memory: a restarted gateway asks everyone to log in again."""

    def __init__(
        self,
        *,
        idle: float = IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._idle = idle
        self._clock = clock
        self._pause = pause
        self._sessions: dict[bytes, Session] = {}  # by the key's digest: no key kept, none compared
        self._failures: dict[str, int] = {}
        self._lock = threading.Lock()

    def open(self) -> tuple[str, Session]:
        """A new session: its cookie value, and the session with its CSRF token."""
        key, session = new_token(), Session(csrf=new_token(), last_seen=self._clock())
        with self._lock:
            self._drop_idle()
            self._sessions[fingerprint(key)] = session
        return key, session

    def find(self, key: str | None) -> Session | None:
        """The live session this cookie names (and it counts as used now), or None."""
        if not key:
            return None
        now = self._clock()
        with self._lock:
            session = self._sessions.get(fingerprint(key))
            if session is None:
                return None
            if now - session.last_seen > self._idle:
                del self._sessions[fingerprint(key)]
                return None
            session.last_seen = now
            return session

    def close(self, key: str | None) -> None:
        with self._lock:
            self._sessions.pop(fingerprint(key or ""), None)

    def allows_change(self, session: Session, token: str | None) -> bool:
        return same(token, session.csrf)

    def failed_login(self, address: str) -> None:
        """Waits before the answer: twice as long as the last wrong login from `address`."""
        with self._lock:
            if len(self._failures) >= MAX_ADDRESSES and address not in self._failures:
                self._failures.clear()  # memory stays bounded whoever sends wrong logins
            count = self._failures.get(address, 0) + 1
            self._failures[address] = count
        self._pause(min(MAX_DELAY, FIRST_DELAY * 2 ** (count - 1)))

    def good_login(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)

    def _drop_idle(self) -> None:
        now = self._clock()
        for key in [k for k, s in self._sessions.items() if now - s.last_seen > self._idle]:
            del self._sessions[key]

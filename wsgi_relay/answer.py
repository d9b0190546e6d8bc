"""The next hop's answer, relayed to the caller as a WSGI response body."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Set

from wsgi_relay.messages import CHUNK
from wsgi_relay.upstream import Answer, HopFailed

log = logging.getLogger(__name__)


def relayed_headers(upstream: Answer, *, dropped: Set[str]) -> list[tuple[str, str]]:
    """The answer's headers but those in `dropped` (lower case); its length when it has one."""
    passed = [(k, v) for k, v in upstream.headers if k.lower() not in dropped]
    length = upstream.header("Content-Length")
    if length is not None:
        passed.append(("Content-Length", length))
    return passed


class RelayedAnswer:
    """Streams `upstream`; `close`, which the server always calls (also when the caller left
    before the first chunk), frees its connection, then runs `then` (a replica's lease).

    An answer that breaks off ends short for the caller, with a warning in the log: the status
    line has gone already. A connection with an answer half read is closed, never reused."""

    def __init__(self, upstream: Answer, *, then: Callable[[], object] | None = None) -> None:
        self._upstream = upstream
        self._then = then
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._upstream.stream(CHUNK)
        except HopFailed as e:
            log.warning("an answer broke off: %s", e)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._upstream.release()
        finally:
            if self._then is not None:
                self._then()

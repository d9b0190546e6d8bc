"""A request body limit as WSGI middleware: 413 with a JSON reason, before the app reads a byte
of a body whose declared length is over it, or as soon as a chunked body passes it.

A chunked body has no length to check up front: its stream is counted as the app reads it, and
the read that passes the limit raises `BodyTooLarge`, werkzeug's 413, which Flask's error
handlers and the relays answer in JSON (the relays read the whole body before their status
line goes out, so the answer can still be a 413).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import RequestEntityTooLarge

from wsgi_relay.messages import json_answer

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class BodyTooLarge(RequestEntityTooLarge):
    def __init__(self, *, limit: int, setting: str, found: str) -> None:
        super().__init__(
            f"the request body is over this server's limit of {limit} bytes ({setting}): "
            f"found {found}; send a smaller body, or raise {setting}"
        )


class BodyLimit:
    """`app` behind a limit of `max_bytes` (0: none), named by the setting that sets it."""

    def __init__(self, app: WSGIApplication, *, max_bytes: int, setting: str) -> None:
        self._app = app
        self._max = max_bytes
        self._setting = setting

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self._max:
            return self._app(environ, start_response)
        text = environ.get("CONTENT_LENGTH") or ""
        if text.isdigit() and int(text) > self._max:
            problem = BodyTooLarge(limit=self._max, setting=self._setting, found=f"{text} bytes")
            return json_answer(start_response, 413, {"error": problem.description})
        if not text and environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
            environ["wsgi.input"] = _Counted(environ["wsgi.input"], self._max, self._setting)
        return self._app(environ, start_response)


class _Counted:
    """A body stream that raises BodyTooLarge once more than `limit` bytes came through it."""

    def __init__(self, stream: Any, limit: int, setting: str) -> None:
        self._stream = stream
        self._left = limit
        self._limit = limit
        self._setting = setting

    def read(self, size: int = -1) -> bytes:
        return self._count(self._stream.read(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self._stream.readline(size))

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def _count(self, data: bytes) -> bytes:
        self._left -= len(data)
        if self._left < 0:
            found = "a chunked body longer than that"
            raise BodyTooLarge(limit=self._limit, setting=self._setting, found=found)
        return data

"""The invocation proxy: `/function/<name>/<path>` to one ready replica, streamed both ways.

Every call of every function passes here (the queue-worker's async calls too), so it is plain
WSGI in front of the Flask app (`app.wsgi_app = FunctionProxy(app.wsgi_app, ...)`) and speaks
to replicas through urllib3's connection pools: Flask's request objects and `requests` cost
about 0.6 ms of CPU more per call (the provider hop in docs/BENCHMARKS.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

import urllib3
from urllib3.exceptions import HTTPError

from engine.errors import EngineError
from engine.provider.functions import FunctionManager

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
}
CHUNK = 1 << 16
PREFIX = "/function/"


class UpstreamFailed(EngineError):
    """The replica's watchdog could not be reached or broke off its answer."""

    status = 502


class FunctionProxy:
    """WSGI middleware: function calls go to a replica; every other path to `app`."""

    def __init__(self, app: WSGIApplication, *, functions: FunctionManager, timeout: float):
        self._app = app
        self._functions = functions
        self._timeout = urllib3.Timeout(connect=5.0, read=timeout)
        # One pool per replica address, kept while in use; replicas come and go, so old pools
        # fall out of the LRU. No retries: a replayed POST could run a script twice.
        self._pools = urllib3.PoolManager(
            num_pools=256, maxsize=64, block=False, retries=False, blocksize=CHUNK
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path: str = environ.get("PATH_INFO", "")
        name, _, rest = path[len(PREFIX) :].partition("/")
        if not path.startswith(PREFIX) or not name:
            return self._app(environ, start_response)
        try:
            return self._forward(name.split(".", 1)[0], rest, environ, start_response)
        except EngineError as e:
            return _error(start_response, e.status, str(e))
        except Exception as e:  # as the app's own handler: JSON, and the cause in the log
            log.exception("unexpected error on %s %s", environ.get("REQUEST_METHOD"), path)
            return _error(start_response, 500, f"internal provider error: {type(e).__name__}")

    def _forward(
        self, name: str, path: str, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        lease = self._functions.replica(name)
        instance = lease.__enter__()
        try:
            url = f"{instance.handle.url}/{path}"
            query = environ.get("QUERY_STRING", "")
            length, body, headers = _request_body(environ)
            upstream = self._pools.urlopen(
                environ["REQUEST_METHOD"],
                f"{url}?{query}" if query else url,
                body=body,
                headers=headers,
                chunked=length is None and body is not None,
                preload_content=False,
                decode_content=False,
                redirect=False,
                timeout=self._timeout,
            )
        except BaseException as e:
            lease.__exit__(None, None, None)
            if isinstance(e, HTTPError):
                raise UpstreamFailed(f"function {name!r} did not answer: {e}") from e
            raise
        passed = [(k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP]
        if "Content-Length" in upstream.headers:
            passed.append(("Content-Length", upstream.headers["Content-Length"]))
        start_response(_status_line(upstream.status), passed)
        return _Relayed(upstream, lease)


class _Relayed:
    """The replica's answer as a WSGI body; `close` (always called by the server) frees the
    connection and the replica, even when the client left before the first chunk."""

    def __init__(self, upstream: urllib3.BaseHTTPResponse, lease: Any) -> None:
        self._upstream = upstream
        self._lease = lease
        self._closed = False
        self._read = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._upstream.stream(CHUNK, decode_content=False)
            self._read = True
        except HTTPError as e:  # the replica died mid-answer: the client sees a short body
            log.warning("a replica broke off its answer: %s", e)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if not self._read:  # a connection with an answer half read must not be reused
                self._upstream.close()
            self._upstream.release_conn()
        finally:
            self._lease.__exit__(None, None, None)


def _request_body(
    environ: WSGIEnvironment,
) -> tuple[int | None, Any, dict[str, str]]:
    """The caller's length (None when chunked), its body stream and the headers to pass on."""
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in HOP_BY_HOP
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    stream = environ["wsgi.input"]
    text = environ.get("CONTENT_LENGTH") or ""
    if text.isdigit():
        length = int(text)
        headers["Content-Length"] = text
        return length, (stream if length else None), headers
    chunked = environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
    # waitress has already undone the chunking; it ends the stream at the last chunk.
    return None, (_chunks(stream) if chunked else None), headers


def _chunks(stream: Any) -> Iterator[bytes]:
    while chunk := stream.read(CHUNK):
        yield chunk


def _status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def _error(start_response: StartResponse, status: int, message: str) -> list[bytes]:
    body = json.dumps({"error": message}).encode()
    start_response(
        _status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]

"""The invocation proxy: `/function/<name>/<path>` to one ready replica, streamed both ways."""

from __future__ import annotations

from collections.abc import Iterator

import requests
from flask import Request, Response, stream_with_context

from engine.provider.functions import FunctionManager

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


class Proxy:
    def __init__(self, *, functions: FunctionManager, timeout: float) -> None:
        self._functions = functions
        self._timeout = timeout
        self._session = requests.Session()
        # Replicas are on this host's own addresses: an HTTP(S)_PROXY of the environment must
        # never carry their calls. Skipping requests' per-call lookups of proxies and ~/.netrc
        # also saves ~40 us of CPU on every invocation (measured in the provider's environment).
        self._session.trust_env = False
        adapter = requests.adapters.HTTPAdapter(pool_connections=64, pool_maxsize=64)
        self._session.mount("http://", adapter)

    def forward(self, name: str, path: str, request: Request) -> Response:
        lease = self._functions.replica(name)
        instance = lease.__enter__()
        try:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
            url = f"{instance.handle.url}/{path}"
            body = _body(request)
            upstream = self._session.request(
                request.method,
                url,
                params=request.query_string.decode("latin-1") or None,
                data=body,
                headers=headers,
                stream=True,
                timeout=(5, self._timeout),
                allow_redirects=False,
            )
        except BaseException:
            lease.__exit__(None, None, None)
            raise

        def relay() -> Iterator[bytes]:
            try:
                yield from upstream.raw.stream(CHUNK, decode_content=False)
            finally:
                upstream.close()
                lease.__exit__(None, None, None)

        response_headers = [
            (k, v) for k, v in upstream.headers.items() if k.lower() not in HOP_BY_HOP
        ]
        if "Content-Length" in upstream.headers:
            response_headers.append(("Content-Length", upstream.headers["Content-Length"]))
        return Response(
            stream_with_context(relay()), status=upstream.status_code, headers=response_headers
        )


class _SizedBody:
    """A body of known length, read as it is sent (requests takes `len` as Content-Length)."""

    def __init__(self, request: Request, length: int) -> None:
        self._stream = request.stream
        self.len = length

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def _chunks(request: Request) -> Iterator[bytes]:
    while chunk := request.stream.read(CHUNK):
        yield chunk


def _body(request: Request) -> _SizedBody | Iterator[bytes] | None:
    """Stream the body on: with its length when known, chunked when the caller chunked it."""
    if request.content_length is not None:
        return _SizedBody(request, request.content_length) if request.content_length else None
    if request.headers.get("Transfer-Encoding", "").lower() == "chunked":
        return _chunks(request)
    return None

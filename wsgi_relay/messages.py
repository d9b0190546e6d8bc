"""A WSGI request as the next hop gets it; status lines and JSON answers for the caller."""

from __future__ import annotations

import json
from collections.abc import Iterator, Set
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CHUNK = 1 << 16


def forwarded_request(
    environ: WSGIEnvironment, *, dropped: Set[str]
) -> tuple[int | None, Any, dict[str, str]]:
    """The body's length (None when chunked), the body (a stream, chunks, or None when empty)
    and the headers to send on: every header but those named in `dropped` (lower case).

    The length goes in the headers too when known. A chunked body (the OpenFaaS gateway
    sends every call so) that ends within its first `CHUNK` bytes goes on as those bytes with
    their length, in one piece; a longer one is sent chunked again (the server has already
    undone the caller's chunking), starting with that first piece.
    """
    headers = {
        key[5:].replace("_", "-").title(): value
        for key, value in environ.items()
        if key.startswith("HTTP_") and key[5:].replace("_", "-").lower() not in dropped
    }
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    stream = environ["wsgi.input"]
    text = environ.get("CONTENT_LENGTH") or ""
    if text.isdigit():
        headers["Content-Length"] = text
        return int(text), (stream if int(text) else None), headers
    if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked":
        first = stream.read(CHUNK)  # less than asked only at the body's end
        if len(first) < CHUNK:
            headers["Content-Length"] = str(len(first))
            return len(first), (first or None), headers
        return None, _chunks(stream, first), headers
    return 0, None, headers


def status_line(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"{code} Unknown"


def json_answer(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def _chunks(stream: Any, first: bytes) -> Iterator[bytes]:
    yield first
    while chunk := stream.read(CHUNK):
        yield chunk

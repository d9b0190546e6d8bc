"""Buckets and their objects through the gateway, for the dashboard's files page: what the
CLI does with MinIO's own client (`oscar ls/put/get`), behind the gateway's admin check.

| route | what |
|---|---|
| `GET /system/files` | every bucket |
| `GET /system/files/<bucket>?prefix=` | the folders and objects directly under `prefix` |
| `GET /system/files/<bucket>/object?key=` | the object's bytes |
| `PUT /system/files/<bucket>/object?key=` | store the body as the object (an input makes jobs) |
| `DELETE /system/files/<bucket>/object?key=` | remove the object |
| `GET /system/files/<bucket>/presign?key=&expires=` | a link that downloads it without login |

An upload goes to MinIO like any other, so MinIO's notification makes its jobs as usual.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from gateway.clients.storage import Storage
from gateway.errors import BadRequest
from gateway.http.dashboard_schemas import Buckets, Entry, Listing, PresignedLink, Stored
from gateway.http.query import bounded_int
from gateway.http.schemas import reply

MAX_UPLOAD = 1 << 30
WEEK = 7 * 24 * 3600
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _key() -> str:
    key = request.args.get("key", "")
    if not key or key.startswith("/") or key.endswith("/") or len(key.encode()) > 1024:
        raise BadRequest(
            f"key must name an object (1 to 1024 bytes, no leading or trailing /); got {key!r}"
        )
    return key


def blueprint(*, storage: Storage) -> Blueprint:
    routes = Blueprint("files_api", __name__)

    @routes.get("/system/files")
    def _buckets() -> tuple[Response, int]:
        return reply(Buckets(buckets=storage.bucket_names()))

    @routes.get("/system/files/<bucket>")
    def _browse(bucket: str) -> tuple[Response, int]:
        prefix = request.args.get("prefix", "")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        entries = [
            Entry(key=e.key, folder=e.folder, size=e.size, modified=e.modified)
            for e in storage.browse(bucket, prefix)
        ]
        return reply(Listing(bucket=bucket, prefix=prefix, entries=entries))

    @routes.get("/system/files/<bucket>/object")
    def _download(bucket: str) -> Response:
        key = _key()
        chunks, kind, length = storage.get(bucket, key)
        # A key may hold control characters; a header may not (the name is only a suggestion).
        name = CONTROL.sub("_", key.rsplit("/", 1)[-1])
        answer = Response(chunks, content_type=kind, direct_passthrough=True)
        answer.headers["Content-Length"] = str(length)
        answer.headers["X-Content-Type-Options"] = "nosniff"
        # An object is shown as itself or saved, never run as a page of the gateway's origin.
        answer.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        if request.args.get("inline", "") not in {"1", "true"}:
            answer.headers.set("Content-Disposition", "attachment", filename=name)
        return answer

    @routes.put("/system/files/<bucket>/object")
    def _upload(bucket: str) -> tuple[Response, int]:
        key = _key()
        length = request.content_length
        if length is None:
            raise BadRequest("send the file with a Content-Length")
        if length > MAX_UPLOAD:
            raise BadRequest(f"the file is larger than {MAX_UPLOAD} bytes; use `oscar put`")
        etag = storage.put(
            bucket,
            key,
            request.stream,  # type: ignore[arg-type]  # a readable stream of bytes
            length=length,
            content_type=request.headers.get("Content-Type", ""),
        )
        return reply(Stored(bucket=bucket, key=key, etag=etag), 201)

    @routes.delete("/system/files/<bucket>/object")
    def _delete(bucket: str) -> tuple[Response, int]:
        storage.remove(bucket, _key())
        return Response(status=204), 204

    @routes.get("/system/files/<bucket>/presign")
    def _presign(bucket: str) -> tuple[Response, int]:
        key = _key()
        seconds = bounded_int("expires", default=3600, low=1, high=WEEK)
        return reply(
            PresignedLink(url=storage.presign(bucket, key, seconds=seconds), expires_in=seconds)
        )

    return routes

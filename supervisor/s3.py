"""A lean S3 client for the supervisor's four calls: an object into a file, a small object's
bytes, a file or bytes into an object; over `http.client` with idle keep-alive connections.

Why not minio-py on this path: a 1 KiB GET cost minio-py about 0.9 ms of CPU and this 0.3-0.5 ms
(the same real MinIO, side by side, `python -m bench.s3_calls`); a PUT 0.85-0.93 against
0.36-0.40 ms, with no pass over the body to hash it (`supervisor.sigv4`, `UNSIGNED-PAYLOAD`).
Each file costs two to four of these calls, so that is 1-2 ms of a replica's CPU a file.
Path-style addressing only, so `supervisor.storage` keeps minio-py for AWS's own endpoints (its
virtual-host addressing and region lookup) and for files past S3's single-PUT limit.

Retries as minio-py's pool made them: twice, after 0.2 and 0.4 s, on a connection that failed
before an answer or a 502/503/504. Every call here is idempotent (a GET, a PUT of a whole
object), so a retried one changes nothing.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from supervisor.sigv4 import Keys, Signer, canonical_query, encoded_path

CHUNK = 1 << 20
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_DELAYS = (0.2, 0.4)
ERROR_BODY_LIMIT = 64 * 1024
DEFAULT_REGION = "us-east-1"
Body = bytes | IO[bytes] | None


class S3Unreachable(Exception):
    """No answer: the endpoint could not be reached, or broke off."""


class S3Refused(Exception):
    """An error answer, with S3's code and message (the XML error body's)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Endpoint:
    host: str  # host:port, as the Host header carries it
    secure: bool
    keys: Keys
    region: str
    connect_timeout: float = 5.0
    read_timeout: float = 120.0


class S3Objects:
    """Calls to one endpoint; thread-safe, up to `most_idle` connections kept."""

    def __init__(self, endpoint: Endpoint, *, most_idle: int = 8) -> None:
        self._endpoint = endpoint
        self._signer = Signer(endpoint.keys, endpoint.region)
        self._most_idle = most_idle
        self._lock = threading.Lock()
        self._idle: list[http.client.HTTPConnection] = []

    def download(self, bucket: str, key: str, sink: Callable[[bytes], object], *,
                 version_id: str | None = None) -> None:  # fmt: skip
        """The object's bytes, in pieces of up to 1 MiB, to `sink`."""
        query = {"versionId": version_id} if version_id else {}
        with self._call("GET", bucket, key, query=query) as answer:
            while piece := _read(answer, CHUNK):
                sink(piece)  # its own errors (a full disk) are the caller's, not S3Unreachable

    def read(self, bucket: str, key: str) -> bytes:
        with self._call("GET", bucket, key) as answer:
            return _read(answer)

    def put_file(self, bucket: str, key: str, source: Path, *, content_type: str) -> None:
        size = source.stat().st_size
        headers = {"content-type": content_type, "content-length": str(size)}
        with source.open("rb") as body, self._call("PUT", bucket, key, headers, body=body) as a:
            _read(a)

    def put_bytes(self, bucket: str, key: str, data: bytes, *, content_type: str) -> None:
        headers = {"content-type": content_type, "content-length": str(len(data))}
        with self._call("PUT", bucket, key, headers, body=data) as answer:
            _read(answer)

    def make_bucket(self, bucket: str) -> None:
        region = self._endpoint.region
        body = b"" if region == DEFAULT_REGION else (
            "<CreateBucketConfiguration><LocationConstraint>"
            f"{region}</LocationConstraint></CreateBucketConfiguration>"
        ).encode()  # fmt: skip
        with self._call("PUT", bucket, "", {"content-length": str(len(body))}, body=body) as a:
            _read(a)

    def close(self) -> None:
        """Closes the idle connections (a call after it opens new ones)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    @contextmanager
    def _call(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: Mapping[str, str] | None = None,
        *,
        query: Mapping[str, str] | None = None,
        body: Body = None,
    ) -> Iterator[http.client.HTTPResponse]:
        """A 2xx answer to read (to its end, so its connection is kept); S3Refused for the rest."""
        response, conn = self._answered(method, bucket, key, headers or {}, query or {}, body)
        try:
            yield response
        except BaseException:
            conn.close()
            raise
        if response.isclosed() and not response.will_close:
            self._keep(conn)
        else:
            conn.close()

    def _answered(
        self,
        method: str,
        bucket: str,
        key: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        body: Body,
    ) -> tuple[http.client.HTTPResponse, http.client.HTTPConnection]:
        path, canonical = encoded_path(bucket, key), canonical_query(query)
        target = f"{path}?{canonical}" if canonical else path
        start = body.tell() if body is not None and not isinstance(body, bytes) else 0
        delays = list(RETRY_DELAYS)
        while True:
            if body is not None and not isinstance(body, bytes):
                body.seek(start)
            signed = self._signer.headers(
                method, self._endpoint.host, path, query=canonical, headers=headers
            )
            conn, reused = self._connection()
            try:
                # It may have answered before it read the whole body: that answer is read.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    conn.request(method, target, body=body, headers=signed)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as e:
                conn.close()
                if reused:  # closed by the server as it was taken: again, on a new one
                    continue
                if not delays:
                    raise S3Unreachable(f"{method} {bucket}/{key}: {e!r}") from e
                time.sleep(delays.pop(0))
                continue
            if 200 <= response.status < 300:
                return response, conn
            refused = _refusal(response)
            conn.close()
            if response.status in RETRY_STATUSES and delays:
                time.sleep(delays.pop(0))
                continue
            raise refused

    def _connection(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection (True) or a new one (False)."""
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect(), False
            if conn.sock is not None and not _readable(conn.sock):
                return conn, True
            conn.close()  # the server closed it while it was idle

    def _connect(self) -> http.client.HTTPConnection:
        end = self._endpoint
        kind = http.client.HTTPSConnection if end.secure else http.client.HTTPConnection
        conn = kind(end.host, timeout=end.connect_timeout, blocksize=CHUNK)
        conn.connect()
        assert conn.sock is not None
        # http.client sends a file body apart from its head: without this, Nagle's algorithm
        # holds a small body until the server's delayed ACK, some 40 ms (urllib3 sets it too).
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.sock.settimeout(end.read_timeout)
        return conn

    def _keep(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self._most_idle:
                self._idle.append(conn)
                return
        conn.close()


def _read(answer: http.client.HTTPResponse, size: int | None = None) -> bytes:
    """Up to `size` bytes of the answer, or all of it (never `read(-1)`: that waits for the
    connection's end, which a kept-alive one does not reach)."""
    try:
        return answer.read(size)
    except (OSError, http.client.HTTPException) as e:
        raise S3Unreachable(f"the answer broke off: {e!r}") from e


def _refusal(response: http.client.HTTPResponse) -> S3Refused:
    """S3's error body (`<Error><Code>...</Code><Message>...</Message>`) as an S3Refused; a
    bodiless or unreadable one by its status. Two elements are all it needs: no XML parser."""
    try:
        raw = response.read(ERROR_BODY_LIMIT).decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        raw = ""
    code, message = (_element(raw, name) for name in ("Code", "Message"))
    return S3Refused(
        response.status, code or f"HTTP{response.status}", message or response.reason or ""
    )


def _element(text: str, name: str) -> str:
    found = re.search(f"<{name}>([^<]*)</{name}>", text)
    return html.unescape(found.group(1)) if found else ""


def _readable(sock: socket.socket) -> bool:
    """Whether an idle connection has something to read: the server's end of file."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))

"""Object storage behind the supervisor's few calls: one object into the workspace, outputs up,
and the result records' small objects (`supervisor.results`).

`open_storage` picks the client for an endpoint: `S3Storage` (`supervisor.s3`, path-style
requests over kept-alive `http.client` connections: less than half minio-py's CPU a call) for
MinIO and the other S3-compatible servers, minio-py (`supervisor.minio_storage`) for AWS's own
endpoints. Both raise the same `SupervisorError`s with the same messages.
"""

from __future__ import annotations

import errno
import mimetypes
import re
from pathlib import Path
from typing import Protocol

from contract.records import Created
from supervisor.config import StorageConfig
from supervisor.errors import InputNotFound, OutputRejected, StorageUnavailable, WorkspaceFull
from supervisor.minio_storage import MISSING, REFUSED_OUTPUT, MinioStorage
from supervisor.s3 import Endpoint, S3Objects, S3Refused, S3Unreachable
from supervisor.sigv4 import Keys

# S3's limit for one PUT; a bigger output goes up in parts, through minio-py.
SINGLE_PUT_LIMIT = 5 << 30
_AWS = re.compile(r"(^|\.)amazonaws\.com(\.cn)?$")


class Storage(Protocol):
    def download(self, ref: Created, dest: Path) -> int: ...

    def upload(self, bucket: str, key: str, source: Path) -> None: ...


def open_storage(config: StorageConfig, *, pool_size: int = 8) -> S3Storage | MinioStorage:
    """The client for `config`'s endpoint, its connections kept for the process's life."""
    host = config.endpoint.rsplit(":", 1)[0] if ":" in config.endpoint else config.endpoint
    if _AWS.search(host.lower()):
        return MinioStorage(config, pool_size=pool_size)
    return S3Storage(config, pool_size=pool_size)


class S3Storage:
    def __init__(self, config: StorageConfig, *, pool_size: int = 8) -> None:
        self._config = config
        self._pool_size = pool_size
        self._objects = S3Objects(
            Endpoint(
                config.endpoint,
                config.secure,
                Keys(config.access_key, config.secret_key),
                config.region,
            ),
            most_idle=pool_size,
        )
        self._in_parts: MinioStorage | None = None  # made for the first output past 5 GiB
        self._endpoint = config.endpoint

    def download(self, ref: Created, dest: Path) -> int:
        """Stream the object into `dest` in 1 MiB pieces; return the number of bytes written."""
        written = 0
        try:
            with dest.open("xb") as out:

                def sink(piece: bytes) -> None:
                    nonlocal written
                    out.write(piece)
                    written += len(piece)

                self._objects.download(ref.bucket, ref.key, sink, version_id=ref.version_id)
        except S3Refused as e:
            if e.code in MISSING:
                raise InputNotFound(
                    f"input {ref.bucket}/{ref.key} cannot be read: {e.code} ({e.message})"
                ) from e
            raise StorageUnavailable(
                f"MinIO refused to send {ref.bucket}/{ref.key}: {e.code}"
            ) from e
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise WorkspaceFull(
                    f"workspace is full after {written} bytes of {ref.bucket}/{ref.key}; "
                    "give the function more disk or WORKSPACE_ROOT a bigger volume"
                ) from e
            raise self._unavailable("download", e) from e
        except S3Unreachable as e:
            raise self._unavailable("download", e) from e
        return written

    def upload(self, bucket: str, key: str, source: Path) -> None:
        content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        try:
            if source.stat().st_size > SINGLE_PUT_LIMIT:
                self._big().upload(bucket, key, source)
                return
            self._objects.put_file(bucket, key, source, content_type=content_type)
        except S3Refused as e:
            if e.code in REFUSED_OUTPUT:
                raise OutputRejected(
                    f"MinIO refused output {bucket}/{key}: {e.code} ({e.message}); check that "
                    "the output bucket exists and the function's keys may write to it"
                ) from e
            raise self._unavailable("upload", e) from e
        except (S3Unreachable, OSError) as e:
            raise self._unavailable("upload", e) from e

    # Result records (supervisor.results): small objects in the system bucket the job names.

    def read_bytes(self, bucket: str, key: str) -> bytes | None:
        """A small object's bytes; None when it or its bucket does not exist."""
        try:
            return self._objects.read(bucket, key)
        except S3Refused as e:
            if e.code in {"NoSuchKey", "NoSuchBucket"}:
                return None
            raise self._unavailable(f"reading {bucket}/{key}", e) from e
        except S3Unreachable as e:
            raise self._unavailable(f"reading {bucket}/{key}", e) from e

    def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
        """Store `data` at `key`, making the bucket first if it does not exist yet."""
        for tries_left in (1, 0):
            try:
                self._objects.put_bytes(bucket, key, data, content_type="application/json")
                return
            except S3Refused as e:
                if e.code != "NoSuchBucket" or not tries_left:
                    raise self._unavailable(f"writing {bucket}/{key}", e) from e
                self._make_bucket(bucket)
            except S3Unreachable as e:
                raise self._unavailable(f"writing {bucket}/{key}", e) from e

    def _make_bucket(self, bucket: str) -> None:
        try:
            self._objects.make_bucket(bucket)
        except S3Refused as e:
            if e.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise self._unavailable(f"creating bucket {bucket}", e) from e
        except S3Unreachable as e:
            raise self._unavailable(f"creating bucket {bucket}", e) from e

    def close(self) -> None:
        self._objects.close()

    def _big(self) -> MinioStorage:
        if self._in_parts is None:
            self._in_parts = MinioStorage(self._config, pool_size=self._pool_size)
        return self._in_parts

    def _unavailable(self, action: str, error: Exception) -> StorageUnavailable:
        detail = str(error)[:300]
        return StorageUnavailable(f"MinIO at {self._endpoint} failed during {action}: {detail}")

"""minio-py behind the supervisor's storage calls, where `supervisor.storage.S3Storage` is not
used: AWS's own endpoints (minio-py addresses their buckets as virtual hosts and knows their
rules) and outputs past S3's 5 GiB limit for one PUT (minio-py uploads them in parts).

The only module that imports `minio`. One client lives as long as the process, so its connection
pool is reused across requests (no TLS or TCP set-up per file).
"""

from __future__ import annotations

import errno
import io
import logging
import mimetypes
from pathlib import Path

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from contract.records import Created
from supervisor.config import StorageConfig
from supervisor.errors import InputNotFound, OutputRejected, StorageUnavailable, WorkspaceFull

log = logging.getLogger(__name__)
CHUNK = 1 << 20
# S3's codes for an object that cannot be read as named (the input's failure is the job's, 4xx).
# MinIO answers XMinioInvalidResourceName to a key with `.` or `..` segments: such an object
# cannot exist there (supervisor.s3 sends the key as it is; urllib3 under minio-py would have
# folded the segments away and read a different object).
MISSING = frozenset(
    {
        "NoSuchKey",
        "NoSuchBucket",
        "NoSuchVersion",
        "InvalidBucketName",
        "InvalidObjectName",
        "XMinioInvalidObjectName",
        "XMinioInvalidResourceName",
        "KeyTooLongError",
    }
)
# And for an output that may not be written as named.
REFUSED_OUTPUT = MISSING | {"AccessDenied"}


class MinioStorage:
    def __init__(self, config: StorageConfig, *, pool_size: int = 8) -> None:
        http = urllib3.PoolManager(
            maxsize=pool_size,
            timeout=urllib3.Timeout(connect=5.0, read=120.0),
            # A couple of quick retries ride over a restarting server; more would only make a
            # request hang while the caller (the gateway) retries the whole job anyway.
            retries=urllib3.Retry(total=2, backoff_factor=0.2, status_forcelist=(502, 503, 504)),
        )
        self._client = Minio(
            config.endpoint,
            access_key=config.access_key,
            secret_key=config.secret_key,
            secure=config.secure,
            region=config.region,
            http_client=http,
        )
        self._endpoint = config.endpoint

    def download(self, ref: Created, dest: Path) -> int:
        """Stream the object into `dest` in 1 MiB chunks; return the number of bytes written."""
        written = 0
        try:
            response = self._client.get_object(ref.bucket, ref.key, version_id=ref.version_id)
            try:
                with dest.open("xb") as out:
                    for chunk in response.stream(CHUNK):
                        out.write(chunk)
                        written += len(chunk)
            finally:
                response.close()
                response.release_conn()
        except S3Error as e:
            if e.code in MISSING:
                raise InputNotFound(
                    f"input {ref.bucket}/{ref.key} cannot be read: {e.code} ({e.message})"
                ) from e
            raise StorageUnavailable(
                f"MinIO refused to send {ref.bucket}/{ref.key}: {e.code}"
            ) from e
        except ValueError as e:  # minio-py refuses some names (`..` segments) before sending
            raise InputNotFound(f"input {ref.bucket}/{ref.key} cannot be read: {e}") from e
        except OSError as e:
            if e.errno == errno.ENOSPC:
                raise WorkspaceFull(
                    f"workspace is full after {written} bytes of {ref.bucket}/{ref.key}; "
                    "give the function more disk or WORKSPACE_ROOT a bigger volume"
                ) from e
            raise self._unavailable("download", e) from e
        except (MinioException, urllib3.exceptions.HTTPError) as e:
            raise self._unavailable("download", e) from e
        return written

    def upload(self, bucket: str, key: str, source: Path) -> None:
        content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        try:
            self._client.fput_object(bucket, key, str(source), content_type=content_type)
        except S3Error as e:
            if e.code in REFUSED_OUTPUT:
                raise OutputRejected(
                    f"MinIO refused output {bucket}/{key}: {e.code} ({e.message}); check that "
                    "the output bucket exists and the function's keys may write to it"
                ) from e
            raise self._unavailable("upload", e) from e
        except ValueError as e:
            raise OutputRejected(f"output key {key!r} is not a valid object name: {e}") from e
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as e:
            raise self._unavailable("upload", e) from e

    # Result records (supervisor.results): small objects in the system bucket the job names.

    def read_bytes(self, bucket: str, key: str) -> bytes | None:
        """A small object's bytes; None when it or its bucket does not exist."""
        try:
            response = self._client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()
        except S3Error as e:
            if e.code in {"NoSuchKey", "NoSuchBucket"}:
                return None
            raise self._unavailable(f"reading {bucket}/{key}", e) from e
        except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as e:
            raise self._unavailable(f"reading {bucket}/{key}", e) from e

    def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
        """Store `data` at `key`, making the bucket first if it does not exist yet."""
        for tries_left in (1, 0):
            try:
                self._client.put_object(
                    bucket, key, io.BytesIO(data), len(data), content_type="application/json"
                )
                return
            except S3Error as e:
                if e.code != "NoSuchBucket" or not tries_left:
                    raise self._unavailable(f"writing {bucket}/{key}", e) from e
                self._make_bucket(bucket)
            except (MinioException, urllib3.exceptions.HTTPError, OSError, ValueError) as e:
                raise self._unavailable(f"writing {bucket}/{key}", e) from e

    def _make_bucket(self, bucket: str) -> None:
        try:
            self._client.make_bucket(bucket)
        except S3Error as e:
            if e.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise self._unavailable(f"creating bucket {bucket}", e) from e

    def _unavailable(self, action: str, error: Exception) -> StorageUnavailable:
        detail = str(error)[:300]
        return StorageUnavailable(f"MinIO at {self._endpoint} failed during {action}: {detail}")

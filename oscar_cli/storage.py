"""The stack's MinIO as the CLI uses it: list, upload, download. The only user of minio-py here.

Every MinIO failure becomes a `CliError` through `_failed`, naming the key that was refused or
the object that is missing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import urllib3
from minio import Minio
from minio.error import MinioException, S3Error

from oscar_cli.endpoints import Endpoints
from oscar_cli.errors import AuthRefused, BadInput, CliError, StackDown, from_s3
from oscar_cli.progress import CHUNK, Advance, MinioProgress


@dataclass(frozen=True)
class Location:
    """`bucket/key` or `bucket/prefix` as typed on the command line."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, text: str, *, what: str) -> Location:
        bucket, _, key = text.strip().removeprefix("s3://").partition("/")
        if not bucket:
            raise BadInput(f"{what}: expected BUCKET/KEY, found {text!r}")
        return cls(bucket, key)

    def __str__(self) -> str:
        return f"{self.bucket}/{self.key}" if self.key else self.bucket


@dataclass(frozen=True)
class Entry:
    key: str
    size: int | None
    modified: datetime | None
    etag: str | None
    folder: bool


class Storage:
    def __init__(self, endpoints: Endpoints) -> None:
        if not (endpoints.minio_access_key and endpoints.minio_secret_key):
            raise AuthRefused(
                f"no MinIO keys: {endpoints.credentials} is missing or incomplete; it is "
                "written by `oscar up`"
            )
        url = urlsplit(endpoints.minio)
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5.0, read=60.0),
            # A refused connection means the stack is down: say so at once, no retries.
            retries=urllib3.Retry(
                total=2, connect=0, backoff_factor=0.2, status_forcelist=(502, 503, 504)
            ),
        )
        self._client = Minio(
            url.netloc or url.path,
            endpoints.minio_access_key,
            endpoints.minio_secret_key,
            secure=url.scheme == "https",
            http_client=http,
        )
        self._endpoints = endpoints

    def buckets(self) -> list[Entry]:
        with self._failures("listing buckets", missing="no buckets"):
            return [
                Entry(b.name, None, b.creation_date, None, folder=True)
                for b in self._client.list_buckets()
            ]

    def listing(self, where: Location, *, recursive: bool) -> list[Entry]:
        missing = f"bucket {where.bucket} does not exist; `oscar ls` lists the buckets"
        with self._failures(f"listing {where}", missing=missing):
            return [
                Entry(o.object_name or "", o.size, o.last_modified, o.etag, o.is_dir)
                for o in self._client.list_objects(
                    where.bucket, prefix=where.key or None, recursive=recursive
                )
            ]

    def size(self, where: Location) -> int:
        missing = f"{where} does not exist; `oscar ls {where.bucket}` lists the keys"
        with self._failures(f"reading {where}", missing=missing):
            return int(self._client.stat_object(where.bucket, where.key).size or 0)

    def put(self, path: Path, where: Location, *, advance: Advance) -> None:
        missing = (
            f"bucket {where.bucket} does not exist; the gateway creates the buckets of its "
            "services (`oscar services` shows their inputs)"
        )
        with self._failures(f"uploading {path} to {where}", missing=missing):
            self._client.fput_object(
                where.bucket, where.key, str(path), progress=MinioProgress(advance)
            )

    def get(self, where: Location, target: BinaryIO, *, advance: Advance) -> None:
        missing = f"{where} does not exist; `oscar ls {where.bucket}` lists the keys"
        with self._failures(f"downloading {where}", missing=missing):
            answer = self._client.get_object(where.bucket, where.key)
            try:
                for data in answer.stream(CHUNK):
                    target.write(data)
                    advance(len(data))
            finally:
                answer.close()
                answer.release_conn()

    @contextlib.contextmanager
    def _failures(self, what: str, *, missing: str) -> Iterator[None]:
        e = self._endpoints
        try:
            yield
        except S3Error as error:
            raise from_s3(
                error.code or "",
                error.message or str(error),
                what=what,
                not_found=missing,
                refused=f"MinIO refused the access key {e.minio_access_key} from "
                f"{e.credentials}; {e.refused_fix}",
            ) from error
        except urllib3.exceptions.MaxRetryError as error:
            raise StackDown(f"nothing answers at {e.minio} (MinIO): {e.down_fix}") from error
        except (MinioException, urllib3.exceptions.HTTPError) as error:
            raise CliError(f"{what}: {error}") from error
        except ValueError as error:  # minio-py checks names before it sends anything
            raise BadInput(f"{what}: {error}") from error

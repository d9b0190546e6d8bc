"""An in-memory stand-in for MinIO that implements the `supervisor.storage.Storage` protocol
and the result book's `supervisor.results.RecordStore`."""

from __future__ import annotations

from pathlib import Path

from contract.records import Created
from supervisor.errors import InputNotFound, StorageUnavailable
from supervisor.results import RecordStore
from supervisor.storage import Storage


class FakeStorage:
    """Objects live in a dict keyed by (bucket, key); uploads are recorded with their bytes."""

    def __init__(self, objects: dict[tuple[str, str], bytes] | None = None) -> None:
        self.objects: dict[tuple[str, str], bytes] = dict(objects or {})
        self.uploads: dict[tuple[str, str], bytes] = {}
        self.downloads: list[Created] = []

    def download(self, ref: Created, dest: Path) -> int:
        self.downloads.append(ref)
        try:
            data = self.objects[(ref.bucket, ref.key)]
        except KeyError:
            raise InputNotFound(f"input {ref.bucket}/{ref.key} cannot be read: NoSuchKey") from None
        # Like the real storage: the destination must not exist yet.
        with dest.open("xb") as out:
            out.write(data)
        return len(data)

    def upload(self, bucket: str, key: str, source: Path) -> None:
        # Read now: the workspace, and the file with it, is gone once the job ends.
        self.uploads[(bucket, key)] = source.read_bytes()

    # Result records: small objects kept in `objects`, like any other.

    def read_bytes(self, bucket: str, key: str) -> bytes | None:
        return self.objects.get((bucket, key))

    def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
        self.objects[(bucket, key)] = data


class DownStorage(FakeStorage):
    """A storage whose result records can be neither read nor written (MinIO unreachable)."""

    def read_bytes(self, bucket: str, key: str) -> bytes | None:
        raise StorageUnavailable("MinIO at fake:9000 failed during a read: connection refused")

    def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
        raise StorageUnavailable("MinIO at fake:9000 failed during a write: connection refused")


class ExplodingStorage(FakeStorage):
    """A storage whose download fails with an error the supervisor does not know about."""

    def download(self, ref: Created, dest: Path) -> int:
        raise RuntimeError("the fake storage exploded")


# mypy checks here that the fakes satisfy the protocol the Runner expects.
_CHECK: tuple[Storage, ...] = (FakeStorage(), ExplodingStorage())
_CHECK_RECORDS: tuple[RecordStore, ...] = (FakeStorage(), DownStorage())

"""An in-memory stand-in for MinIO that implements the `supervisor.storage.Storage` protocol."""

from __future__ import annotations

from pathlib import Path

from contract.records import Created
from supervisor.errors import InputNotFound
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


class ExplodingStorage(FakeStorage):
    """A storage whose download fails with an error the supervisor does not know about."""

    def download(self, ref: Created, dest: Path) -> int:
        raise RuntimeError("the fake storage exploded")


# mypy checks here that the fakes satisfy the protocol the Runner expects.
_CHECK: tuple[Storage, ...] = (FakeStorage(), ExplodingStorage())

"""`bucket/prefix`: where a service reads its inputs and writes its outputs.

Written in FDL files, stack.yml annotations and the INPUT_PATH / OUTPUT_PATH of a function; the
gateway routes by it and the supervisor mirrors folders below it, so both read it with this one
parser.
"""

from __future__ import annotations

from dataclasses import dataclass

from contract.errors import BadPath


@dataclass(frozen=True)
class StoragePath:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, text: str) -> StoragePath:
        """`bucket`, `bucket/prefix` or `/bucket/a/b/`: slashes around each part are dropped."""
        bucket, _, prefix = text.strip().strip("/").partition("/")
        if not bucket:
            raise BadPath(f"expected 'bucket/prefix', found {text!r}")
        return cls(bucket, prefix.strip("/"))

    def contains(self, bucket: str, key: str) -> bool:
        if bucket != self.bucket:
            return False
        return not self.prefix or key.startswith(self.prefix + "/")

    def overlaps(self, other: StoragePath) -> bool:
        """True when one path lies inside the other (outputs would trigger their own service)."""
        if self.bucket != other.bucket:
            return False
        mine, theirs = self.prefix + "/", other.prefix + "/"
        return (
            not self.prefix
            or not other.prefix
            or mine.startswith(theirs)
            or theirs.startswith(mine)
        )

    def key_for(self, relative: str) -> str:
        """The key of `relative` below this prefix."""
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def __str__(self) -> str:
        return f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket

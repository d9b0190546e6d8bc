"""Progress bars for long transfers (uploads, downloads, synchronous answers), on stderr.

Small transfers show nothing: a bar that flashes for a 10 kB file is noise. A transfer of
unknown size gets a bar only on a terminal, where it is the only sign of life.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

BIG = 4 * 1024 * 1024  # bytes from which a transfer gets a bar
CHUNK = 1 << 16

Advance = Callable[[int], None]


def _ignore(_: int) -> None:
    return None


@contextlib.contextmanager
def transfer(console: Console, label: str, total: int | None) -> Iterator[Advance]:
    """A bar labelled `label` for `total` bytes; yields the function that advances it."""
    small = total is not None and total < BIG
    if small or (total is None and not console.is_terminal):
        yield _ignore
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)


class Reader:
    """A file for `requests` to send: a known length, and each read advances a bar."""

    def __init__(self, handle: BinaryIO, length: int, advance: Advance) -> None:
        self._handle = handle
        self._length = length
        self._advance = advance

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self._advance(len(data))
        return data


def chunks(handle: BinaryIO, advance: Advance) -> Iterator[bytes]:
    """A stream of unknown length (standard input), sent chunked."""
    while data := handle.read(CHUNK):
        advance(len(data))
        yield data


class MinioProgress:
    """minio-py's progress protocol (`set_meta`, `update`) over a bar's advance function."""

    def __init__(self, advance: Advance) -> None:
        self._advance = advance

    def set_meta(self, object_name: str, total_length: int) -> None:
        del object_name, total_length  # the bar was made with both already

    def update(self, length: int) -> None:
        self._advance(length)

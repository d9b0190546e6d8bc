"""What a backend that runs replicas provides: the spec of one replica in, a handle out.

The local backends (a plain process, a sandbox) are in `provider.sandbox`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from provider.images import Image


@dataclass(frozen=True)
class ReplicaSpec:
    function: str
    instance: str
    image: Image
    env: dict[str, str]
    secrets_dir: Path
    workdir: Path
    limits: dict[str, str]


class ReplicaHandle(Protocol):
    url: str
    log_path: Path

    def alive(self) -> bool: ...

    def stop(self, *, grace: float = 10.0) -> None: ...


class Launcher(Protocol):
    mode: str

    def start(self, spec: ReplicaSpec) -> ReplicaHandle: ...

    def cleanup(self, workdir: Path) -> None:
        """Remove what a replica of a crashed provider left behind in `workdir`'s record."""

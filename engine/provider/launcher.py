"""How a replica is started: as a plain process (degraded mode) or in a sandbox."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.images import Image
from engine.replica import start_replica


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


class ProcessLauncher:
    """Replicas as plain processes on loopback: no network, mount or cgroup isolation.

    The degraded mode for hosts where sandboxes cannot be made (not root, no cgroups): memory
    and CPU limits are not enforced, and secrets are read from SECRETS_DIR instead of
    /var/openfaas/secrets.
    """

    mode = "process"

    def __init__(self, *, watchdog: Path, ready_timeout: float) -> None:
        self._watchdog = watchdog
        self._ready_timeout = ready_timeout

    def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        return start_replica(
            spec.image,
            watchdog=self._watchdog,
            workdir=spec.workdir,
            env=spec.env,
            secrets_dir=spec.secrets_dir,
            ready_timeout=self._ready_timeout,
        )

"""The degraded backend: replicas as plain processes, no isolation (see `ProcessLauncher`)."""

from __future__ import annotations

import contextlib
import os
import signal
from pathlib import Path

from provider.launcher import ReplicaHandle, ReplicaSpec
from provider.sandbox.replica import start_replica

PGID_FILE = "replica.pgid"


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
        replica = start_replica(
            spec.image,
            watchdog=self._watchdog,
            workdir=spec.workdir,
            env=spec.env,
            secrets_dir=spec.secrets_dir,
            ready_timeout=self._ready_timeout,
        )
        (spec.workdir / PGID_FILE).write_text(str(replica.process.pid))
        return replica

    def cleanup(self, workdir: Path) -> None:
        record = workdir / PGID_FILE
        if not record.exists():
            return
        pgid = int(record.read_text() or 0)
        cmdline = Path(f"/proc/{pgid}/cmdline")
        # Only a process group that still runs our watchdog: the number may have been reused.
        if pgid > 1 and cmdline.exists() and b"watchdog" in cmdline.read_bytes():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        record.unlink()

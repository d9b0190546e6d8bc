"""Replicas in pod-like sandboxes: own network and mount namespaces, cgroup limits, no root.

Each replica gets a network namespace (so every watchdog can use its fixed ports), a private
mount namespace showing only its secrets at /var/openfaas/secrets, the memory and CPU limits of
its deployment, and runs as an unprivileged user. Host services that functions reach at
127.0.0.1 (MinIO) are forwarded into the namespace's loopback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pwd
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from provider.config import ProviderConfig
from provider.launcher import ReplicaHandle, ReplicaSpec
from provider.sandbox.function_user import ensure_function_user, prepare_writable_dir
from provider.sandbox.hosttools import SYSTEM_PATH
from provider.sandbox.leftovers import leftovers, remove_leftover
from provider.sandbox.limits import Limits
from provider.sandbox.netns_forward import PortForwarder
from provider.sandbox.replica import spawn_watchdog, wait_healthy
from provider.sandbox.sandbox import Sandbox

log = logging.getLogger(__name__)
WATCHDOG_PORT = 8080
NETNS_DIR = Path("/run/netns")
SANDBOX_FILE = "sandbox"


@dataclass
class SandboxedReplica:
    url: str
    log_path: Path
    process: subprocess.Popen[bytes]
    sandbox: Sandbox
    forwarder: PortForwarder | None = field(default=None, repr=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, *, grace: float = 10.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=grace)
        if self.forwarder is not None:
            self.forwarder.close()
        self.sandbox.destroy()  # kills whatever is left in its cgroups, removes the namespace
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=grace)


class SandboxLauncher:
    mode = "namespaces"

    def __init__(self, *, config: ProviderConfig) -> None:
        self._config = config
        self._user = ensure_function_user()

    def start(self, spec: ReplicaSpec) -> ReplicaHandle:
        user = pwd.getpwnam(self._user)
        for secret in spec.secrets_dir.iterdir():
            os.chown(secret, user.pw_uid, user.pw_gid)
        os.chown(spec.secrets_dir, user.pw_uid, user.pw_gid)
        tmp = spec.workdir / "tmp"
        prepare_writable_dir(tmp, self._user)
        sandbox = Sandbox.create(
            name=spec.instance,
            limits=Limits.from_openfaas(spec.limits, pids=self._config.replica_pids),
            secrets_dir=spec.secrets_dir,
            state_dir=self._config.state_dir,
        )
        (spec.workdir / SANDBOX_FILE).write_text(sandbox.name)
        forwarder: PortForwarder | None = None
        try:
            if self._config.forward_ports:
                forwarder = PortForwarder(NETNS_DIR / sandbox.name, self._config.forward_ports)
            image = spec.image
            env = {
                "PATH": f"{image.bin_dir}{os.pathsep}{SYSTEM_PATH}",
                "HOME": str(tmp),
                "TMPDIR": str(tmp),
                "LANG": "C.UTF-8",
                **{name: image.local_path(value) for name, value in image.env.items()},
                **spec.env,
                "port": str(WATCHDOG_PORT),
            }
            log_path = spec.workdir / "replica.log"
            process = spawn_watchdog(
                sandbox.wrap([str(self._config.watchdog)], user=self._user),
                env=env,
                cwd=image.context,
                log=log_path,
            )
            replica = SandboxedReplica(
                url=f"http://{sandbox.address}:{WATCHDOG_PORT}",
                log_path=log_path,
                process=process,
                sandbox=sandbox,
                forwarder=forwarder,
            )
        except BaseException:
            if forwarder is not None:
                forwarder.close()
            sandbox.destroy()
            raise
        wait_healthy(replica, timeout=self._config.ready_timeout, what=f"replica {spec.instance}")
        return replica

    def cleanup(self, workdir: Path) -> None:
        record = workdir / SANDBOX_FILE
        if not record.exists():
            return
        name = record.read_text().strip()
        if name and any(entry.split(" ", 1)[1].endswith(name) for entry in leftovers()):
            log.warning("removing sandbox %s left by an earlier provider", name)
            remove_leftover(name)
        record.unlink()

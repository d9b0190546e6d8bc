"""One replica of a function: the watchdog, started from a local image, with its own log.

This is the plain-process form of a replica (the provider's degraded mode): it runs on the
host's loopback with ports of its own. The isolated form (`provider.sandbox.sandbox_launcher`)
adds a network and mount namespace, cgroup limits and an unprivileged user around the same
command.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from provider import processes
from provider.errors import ReplicaFailed
from provider.images import Image
from provider.ports import free_port
from provider.sandbox.hosttools import SYSTEM_PATH


@dataclass
class Replica:
    image: Image
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path
    env: dict[str, str] = field(repr=False)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, *, grace: float = 10.0) -> None:
        processes.stop_group(self.process, grace=grace)


def start_replica(
    image: Image,
    *,
    watchdog: Path,
    workdir: Path,
    env: Mapping[str, str],
    secrets_dir: Path | None = None,
    port: int | None = None,
    ready_timeout: float = 30.0,
) -> Replica:
    """Start the watchdog for `image` and wait until its `/_/health` answers 200."""
    port, upstream = port or free_port(), free_port()
    tmp = workdir / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    full_env = {
        "PATH": f"{image.bin_dir}{os.pathsep}{SYSTEM_PATH}",
        "HOME": str(workdir),
        "TMPDIR": str(tmp),
        "LANG": "C.UTF-8",
        **{name: image.local_path(value) for name, value in image.env.items()},
        **env,
    }
    full_env.update(
        port=str(port),
        upstream_url=f"http://127.0.0.1:{upstream}",
        SUPERVISOR_LISTEN=f"127.0.0.1:{upstream}",
        watchdog_listen_host="127.0.0.1",
        metrics_port=str(free_port()),
    )
    if secrets_dir is not None:
        full_env["SECRETS_DIR"] = str(secrets_dir)
    log_path = workdir / "replica.log"
    process = spawn_watchdog([str(watchdog)], env=full_env, cwd=image.context, log=log_path)
    replica = Replica(
        image=image,
        process=process,
        url=f"http://127.0.0.1:{port}",
        log_path=log_path,
        env=full_env,
    )
    wait_healthy(replica, timeout=ready_timeout, what=f"replica of {image.name}")
    return replica


class _Running(Protocol):
    url: str
    log_path: Path

    def alive(self) -> bool: ...

    def stop(self, *, grace: float = 10.0) -> None: ...


def spawn_watchdog(
    argv: list[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> subprocess.Popen[bytes]:
    """Start a replica's command in its own session, its output appended to `log`."""
    return processes.start(argv, env=env, log=log, cwd=cwd)


def wait_healthy(replica: _Running, *, timeout: float, what: str) -> None:
    """Until the watchdog's `/_/health` answers 200; a replica that dies or is late is stopped."""
    healthy = processes.http_ok(f"{replica.url}/_/health")
    if processes.wait_until(healthy, alive=replica.alive, timeout=timeout):
        return
    replica.stop()
    raise ReplicaFailed(
        f"{what} did not become healthy", log_tail=processes.log_tail(replica.log_path)
    )

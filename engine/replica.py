"""One replica of a function: the watchdog, started from a local image, with its own log.

This is the plain-process form of a replica (the engine's degraded mode): it runs on the host's
loopback with ports of its own. The isolated form adds a network and mount namespace, cgroup
limits and an unprivileged user around the same command.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import requests

from engine.errors import ReplicaFailed
from engine.images import Image

# Not /usr/local/bin: on some hosts it holds stand-ins that shadow the real Debian tools.
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


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
        if self.alive():
            _signal(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                _signal(self.process.pid, signal.SIGKILL)
                self.process.wait()
        _signal(self.process.pid, signal.SIGKILL)


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
    with log.open("ab") as out:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_healthy(replica: _Running, *, timeout: float, what: str) -> None:
    """Until the watchdog's `/_/health` answers 200; a replica that dies or is late is stopped."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and replica.alive():
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{replica.url}/_/health", timeout=1).status_code == 200:
                return
        time.sleep(0.02)
    replica.stop()
    tail = replica.log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise ReplicaFailed(f"{what} did not become healthy; its log ends:\n{tail}")


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)

"""A server process of the local stack: its own process group, a log file, a clean stop."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests


class ServerProcess:
    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        env: Mapping[str, str],
        log: Path,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as handle:
            self.process = subprocess.Popen(
                list(command),
                env=dict(env),
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, limit: int = 2000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-limit:]

    def wait_until(self, probe: Callable[[], bool], *, timeout: float, what: str) -> None:
        """Poll `probe` until true; fail with the log's tail if the deadline passes or we die."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive():
            with contextlib.suppress(OSError, requests.RequestException):
                if probe():
                    return
            time.sleep(0.02)
        state = "exited" if not self.alive() else f"not {what} after {timeout:g}s"
        self.stop()
        raise RuntimeError(f"{self.name} {state}; its log ends:\n{self.log_tail()}")

    def stop(self, *, grace: float = 10.0) -> None:
        if self.alive():
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        self._signal(signal.SIGKILL)  # anything it left behind in its group

    def kill(self) -> None:
        self._signal(signal.SIGKILL)
        self.process.wait()

    def _signal(self, sig: signal.Signals) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def http_ok(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        return requests.get(url, timeout=1).status_code == 200

    return probe

"""Processes in sessions of their own, output appended to a log: start, wait until ready, stop.

The one module that spawns and signals processes, for two kinds of owner:
- one that keeps the `Popen` for the process's whole life (`ServerProcess`, a replica);
- one that outlives the command that started it and later knows the process only by pid (the
  local stack's components). The kernel's start time for the pid (from /proc) is recorded with
  it (`detach`), and a pid whose start time differs was reused: it is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests

from provider.errors import ProcessFailed

POLL = 0.02
Probe = Callable[[], bool]


def start(
    command: Sequence[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None
) -> subprocess.Popen[bytes]:
    """Start `command` in a session of its own (a process group to signal), stdin closed,
    stdout and stderr appended to `log`. Raises OSError if it cannot be executed."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        return subprocess.Popen(
            list(command),
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until(
    probe: Probe, *, alive: Callable[[], bool], timeout: float, poll: float = POLL
) -> bool:
    """Poll `probe` until it passes (True); False once the process dies or the deadline passes.

    A probe that cannot connect yet (OSError, a refused HTTP request) counts as not passing.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        with contextlib.suppress(OSError, requests.RequestException):
            if probe():
                return True
        time.sleep(poll)
    return False


def http_ok(url: str) -> Probe:
    """Ready when a GET of `url` answers 200."""

    def probe() -> bool:
        return requests.get(url, timeout=1).status_code == 200

    return probe


def log_contains(log: Path, text: str, *, offset: int = 0) -> Probe:
    """Ready when `text` appears in `log` past `offset` (what this start of it appended)."""

    def probe() -> bool:
        with log.open("rb") as handle:
            handle.seek(offset)
            return text.encode() in handle.read()

    return probe


def log_tail(log: Path, limit: int = 2000) -> str:
    return log.read_text(encoding="utf-8", errors="replace")[-limit:]


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal the process group led by `pid`; nothing if it is gone or not ours."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def stop_group(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM the group, SIGKILL it if the leader outlives `grace`, then kill what it left."""
    if process.poll() is None:
        signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            signal_group(process.pid, signal.SIGKILL)
            process.wait()
    signal_group(process.pid, signal.SIGKILL)  # anything it left behind in its group


class ServerProcess:
    """A server started and stopped by the one object that holds its `Popen`."""

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
        self.process = start(command, env=env, log=log, cwd=cwd)

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, limit: int = 2000) -> str:
        return log_tail(self.log, limit)

    def wait_until(self, probe: Probe, *, timeout: float, what: str) -> None:
        """Poll `probe` until true; fail with the log's tail if the deadline passes or we die."""
        if wait_until(probe, alive=self.alive, timeout=timeout):
            return
        state = "exited" if not self.alive() else f"not {what} after {timeout:g}s"
        self.stop()
        raise ProcessFailed(f"{self.name} {state}", log_tail=self.log_tail())

    def stop(self, *, grace: float = 10.0) -> None:
        stop_group(self.process, grace=grace)


# -- detached processes, known by (pid, start time) ------------------------------------------


def detach(process: subprocess.Popen[bytes]) -> int:
    """Let `process` outlive this one; its start time, to recognise its pid later (0: gone)."""
    stat = _stat(process.pid)  # not reaped yet, so readable even if it already exited
    # Never waited for here. Popen would otherwise warn that it "is still running" when
    # collected; `alive` reaps it if it dies while we still run.
    process.returncode = 0
    return stat[2] if stat else 0


def alive(pid: int, start_time: int) -> bool:
    stat = _stat(pid)
    if stat is None or stat[2] != start_time:
        return False
    if stat[0] == "Z":  # exited; reap it if it is our own child (`up` and `down` in one process)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


def stop_detached(pid: int, start_time: int, *, sig: signal.Signals, grace: float) -> None:
    """Signal the process group, wait out the grace period, then kill what is left.

    Descendants are listed first: a provider's replicas run in sessions of their own, so the
    group signal does not reach them if the provider fails to stop them itself.
    """
    stat = _stat(pid)
    if stat is not None and stat[2] != start_time:
        return  # the number belongs to another process now; ours is long gone
    if alive(pid, start_time):
        family = _descendants(pid)
        signal_group(pid, sig)
        if not _wait_gone(pid, start_time, grace):
            signal_group(pid, signal.SIGKILL)
            _wait_gone(pid, start_time, 5.0)
        for child, child_start in family:
            if alive(child, child_start):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
    # Members of its group that outlived it. Safe while no other process has its number: a
    # process group is named after its leader, and none can be led by a reused number.
    stat = _stat(pid)
    if stat is None or stat[2] == start_time:
        signal_group(pid, signal.SIGKILL)


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) from /proc/<pid>/stat, or None if there is no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def _descendants(root: int) -> list[tuple[int, int]]:
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            children.setdefault(stat[1], []).append((int(entry.name), stat[2]))
    found: list[tuple[int, int]] = []
    queue = [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child[0])
    return found


def _wait_gone(pid: int, start_time: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(pid, start_time):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True

"""Start the cluster's processes detached, remember them by pid file, stop them for sure.

A pid file holds the pid and the process's start time, so a pid the kernel reused for some other
program is never signalled. Processes are spawned with posix_spawn in their own session: they
outlive the command that started them, and no Popen object is left to warn when collected.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from .waiting import wait_until


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    started: int  # clock ticks since boot, from /proc/<pid>/stat


def start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()
    # fields[0] is the state (field 3 of stat); a zombie has exited.
    return None if fields[0] in {"Z", "X"} else int(fields[19])


def spawn(name: str, argv: list[str], *, env: dict[str, str], log: Path, run_dir: Path) -> Running:
    log.parent.mkdir(parents=True, exist_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
    # Looked up on the child's PATH (posix_spawnp would use ours).
    program = shutil.which(argv[0], path=env.get("PATH"))
    if program is None:
        raise FileNotFoundError(f"{argv[0]} is not on PATH {env.get('PATH')}")
    pid = os.posix_spawn(
        program,
        argv,
        env,
        setsid=True,
        file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, str(log), flags, 0o644),
            (os.POSIX_SPAWN_DUP2, 1, 2),
        ],
    )
    started = start_time(pid) or 0
    (run_dir / f"{name}.pid").write_text(f"{pid} {started}\n")
    return Running(name, pid, started)


def recorded(name: str, run_dir: Path) -> Running | None:
    """The process a pid file names, if it is still that same process and alive."""
    try:
        pid_text, started_text = (run_dir / f"{name}.pid").read_text().split()
    except (OSError, ValueError):
        return None
    pid, started = int(pid_text), int(started_text)
    return Running(name, pid, started) if start_time(pid) == started else None


def alive(process: Running) -> bool:
    reap(process.pid)
    return start_time(process.pid) == process.started


def reap(pid: int) -> None:
    """Collect our own exited child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def stop(process: Running, *, grace: float) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; return once it has exited."""
    for sig, timeout in ((signal.SIGTERM, grace), (signal.SIGKILL, 10.0)):
        if not alive(process):
            return
        try:
            os.kill(process.pid, sig)
        except ProcessLookupError:
            return
        done, _ = wait_until(lambda: not alive(process), timeout=timeout)
        if done:
            return


def kill_all(pids: list[int], *, timeout: float = 10.0) -> list[int]:
    """SIGKILL every pid; return those still there after `timeout` (none, normally)."""
    targets = {pid: start_time(pid) for pid in pids}
    for pid, started in targets.items():
        if started is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def gone() -> bool:
        for pid in targets:
            reap(pid)
        return all(start_time(pid) != started for pid, started in targets.items())

    wait_until(gone, timeout=timeout)
    return [pid for pid, started in targets.items() if started and start_time(pid) == started]

"""Detached component processes: start one, wait for its readiness, stop it later by pid.

`ServerProcess` holds a `Popen`, which lives only as long as the command that made it; the stack's
components outlive `oscar up`, so a later command knows them only by pid. The kernel's start time
for the pid (from /proc) is recorded with it: a pid that was reused is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from engine.errors import EngineError
from engine.stack_plan import ComponentSpec

_POLL = 0.05


class ComponentFailed(EngineError):
    """A component exited or did not become ready in time; its log says why."""

    status = 503

    def __init__(self, component: str, reason: str, log: Path) -> None:
        super().__init__(f"{component} {reason}; see its log: {log}")
        self.component = component
        self.log = log


@dataclass(frozen=True)
class Running:
    name: str
    pid: int
    start_time: int
    command: tuple[str, ...]
    log: str
    url: str
    stop_signal: int
    stop_grace: float

    def alive(self) -> bool:
        return _alive(self.pid, self.start_time)

    def stop(self) -> None:
        """Signal the process group, wait out the grace period, then kill what is left.

        Descendants are listed first: a provider's replicas run in sessions of their own, so
        the group signal does not reach them if the provider fails to stop them itself.
        """
        stat = _stat(self.pid)
        if stat is not None and stat[2] != self.start_time:
            return  # the number belongs to another process now; ours is long gone
        if self.alive():
            family = _descendants(self.pid)
            _signal_group(self.pid, signal.Signals(self.stop_signal))
            if not _wait_gone(self, self.stop_grace):
                _signal_group(self.pid, signal.SIGKILL)
                _wait_gone(self, 5.0)
            for pid, start_time in family:
                if _alive(pid, start_time):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        # Members of its group that outlived it. Safe while no other process has its number:
        # a process group is named after its leader, and none can be led by a reused number.
        stat = _stat(self.pid)
        if stat is None or stat[2] == self.start_time:
            _signal_group(self.pid, signal.SIGKILL)


def spawn(spec: ComponentSpec, log: Path) -> tuple[Running, int]:
    """Start `spec` in a session of its own, output appended to `log`; (record, log offset)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as handle:
        offset = handle.tell()
        try:
            process = subprocess.Popen(
                spec.command,
                env=dict(spec.env),
                cwd=spec.cwd,
                stdin=subprocess.DEVNULL,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as e:
            raise ComponentFailed(
                spec.name, f"could not be started ({e.strerror}: {spec.command[0]})", log
            ) from e
    stat = _stat(process.pid)  # not reaped yet, so readable even if it already exited
    # Never waited for here: it outlives this process. Popen would otherwise warn that it "is
    # still running" when collected; `Running.alive` reaps it if it dies while we still run.
    process.returncode = 0
    running = Running(
        name=spec.name,
        pid=process.pid,
        start_time=stat[2] if stat else 0,
        command=spec.command,
        log=str(log),
        url=spec.url,
        stop_signal=int(spec.stop_signal),
        stop_grace=spec.stop_grace,
    )
    return running, offset


def wait_ready(spec: ComponentSpec, running: Running, *, offset: int, timeout: float) -> None:
    """Return once `spec`'s readiness check passes; fail if it exits or the deadline passes."""
    probe = _http_probe(spec.ready_url) if spec.ready_url else _log_probe(running, offset, spec)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not running.alive():
            raise ComponentFailed(spec.name, "exited before it was ready", Path(running.log))
        if probe():
            return
        time.sleep(_POLL)
    raise ComponentFailed(spec.name, f"was not ready after {timeout:g}s", Path(running.log))


def _http_probe(url: str) -> Callable[[], bool]:
    def probe() -> bool:
        try:
            return requests.get(url, timeout=1).status_code == 200
        except requests.RequestException:
            return False

    return probe


def _log_probe(running: Running, offset: int, spec: ComponentSpec) -> Callable[[], bool]:
    def probe() -> bool:
        with Path(running.log).open("rb") as handle:
            handle.seek(offset)
            return spec.ready_log.encode() in handle.read()

    return probe


def _stat(pid: int) -> tuple[str, int, int] | None:
    """(state, parent pid, start time) from /proc/<pid>/stat, or None if there is no such pid."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the command name may hold spaces
    return fields[0], int(fields[1]), int(fields[19])


def _alive(pid: int, start_time: int) -> bool:
    stat = _stat(pid)
    if stat is None or stat[2] != start_time:
        return False
    if stat[0] == "Z":  # exited; reap it if it is our own child (`up` and `down` in one process)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        return False
    return True


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


def _wait_gone(running: Running, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while running.alive():
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)
    return True


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@dataclass(frozen=True)
class StackState:
    """What `stack.json` records: when the stack started, its endpoints, its processes."""

    started_at: str
    endpoints: dict[str, str]
    components: tuple[Running, ...]

    def dead(self) -> list[str]:
        return [c.name for c in self.components if not c.alive()]


def read_state(path: Path) -> StackState | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        components = tuple(
            Running(**{**c, "command": tuple(c["command"])}) for c in data["components"]
        )
        return StackState(data["started_at"], data["endpoints"], components)
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError) as e:
        raise EngineError(
            f"{path} is damaged ({e}); stop the processes it lists by hand, then remove it"
        ) from e


def write_state(path: Path, state: StackState) -> None:
    staging = path.with_suffix(".tmp")
    staging.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    staging.replace(path)

"""A component of the stack, started detached from its spec and known later by its record.

`oscar up` starts each component in a session of its own so that it outlives the command; a
later `oscar down` knows it only by the record in `stack.json` (`Running`), whose pid comes with
the kernel's start time for it, so that a reused pid is never signalled. The mechanics are
`provider.processes`'.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from pathlib import Path

from localstack.errors import ComponentFailed
from localstack.plan import ComponentSpec
from provider import processes

_POLL = 0.05


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
        return processes.alive(self.pid, self.start_time)

    def stop(self) -> None:
        processes.stop_detached(
            self.pid,
            self.start_time,
            sig=signal.Signals(self.stop_signal),
            grace=self.stop_grace,
        )


def spawn(spec: ComponentSpec, log: Path) -> tuple[Running, int]:
    """Start `spec` in a session of its own, output appended to `log`; (record, log offset)."""
    offset = log.stat().st_size if log.exists() else 0
    try:
        process = processes.start(spec.command, env=spec.env, log=log, cwd=spec.cwd)
    except OSError as e:
        raise ComponentFailed(
            spec.name, f"could not be started ({e.strerror}: {spec.command[0]})", log
        ) from e
    running = Running(
        name=spec.name,
        pid=process.pid,
        start_time=processes.detach(process),
        command=spec.command,
        log=str(log),
        url=spec.url,
        stop_signal=int(spec.stop_signal),
        stop_grace=spec.stop_grace,
    )
    return running, offset


def wait_ready(spec: ComponentSpec, running: Running, *, offset: int, timeout: float) -> None:
    """Return once `spec`'s readiness check passes; fail if it exits or the deadline passes."""
    log = Path(running.log)
    if spec.ready_url:
        probe = processes.http_ok(spec.ready_url)
    else:
        probe = processes.log_contains(log, spec.ready_log, offset=offset)
    if processes.wait_until(probe, alive=running.alive, timeout=timeout, poll=_POLL):
        return
    if not running.alive():
        raise ComponentFailed(spec.name, "exited before it was ready", log)
    raise ComponentFailed(spec.name, f"was not ready after {timeout:g}s", log)

"""Run the user's script once: its own process group, a timeout, logs to files, never to memory."""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)
script_log = logging.getLogger("script")
# After SIGTERM on timeout, how long the script gets to exit before SIGKILL.
TERM_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class ScriptRun:
    exit_code: int | None
    timed_out: bool
    duration: float

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def run_script(
    command: tuple[str, ...],
    *,
    env: Mapping[str, str],
    cwd: Path,
    timeout: float,
    stdout: Path,
    stderr: Path,
) -> ScriptRun:
    """Run `command`; `stdout` and `stderr` may be the same file to interleave both streams."""
    started = time.monotonic()
    with stdout.open("ab") as out, stderr.open("ab") as err:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out if stdout == stderr else err,
            start_new_session=True,  # its own process group, so a timeout kills its children too
        )
        _prefer_for_oom_kill(process.pid)
        timed_out = _wait(process, timeout)
        # Background children the script left running would outlive the request: end them.
        _signal_group(process.pid, signal.SIGKILL)
    duration = time.monotonic() - started
    return ScriptRun(
        exit_code=None if timed_out else process.returncode,
        timed_out=timed_out,
        duration=duration,
    )


def _wait(process: subprocess.Popen[bytes], timeout: float) -> bool:
    """Wait for the script's exit, ending its group after `timeout`; True when it timed out.

    `wait(timeout=...)` would poll with growing sleeps and add up to 50 ms to every run, so the
    wait blocks on the process's pidfd, which is readable the moment it exits (no thread per
    run); without pidfds (Linux before 5.3), a timer thread enforces the timeout."""
    try:
        pidfd = os.pidfd_open(process.pid)
    except OSError:
        return _wait_with_timer(process, timeout)
    try:
        if _exits_within(pidfd, timeout):
            process.wait()
            return False
        _signal_group(process.pid, signal.SIGTERM)
        if not _exits_within(pidfd, TERM_GRACE_SECONDS):
            _signal_group(process.pid, signal.SIGKILL)
        process.wait()
        return True
    finally:
        os.close(pidfd)


def _exits_within(pidfd: int, seconds: float) -> bool:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(max(0, int(seconds * 1000))))


def _wait_with_timer(process: subprocess.Popen[bytes], timeout: float) -> bool:
    finished = threading.Event()
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        _signal_group(process.pid, signal.SIGTERM)
        if not finished.wait(TERM_GRACE_SECONDS):
            _signal_group(process.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        process.wait()
    finally:
        finished.set()
        timer.cancel()
    return expired.is_set()


def _prefer_for_oom_kill(pid: int) -> None:
    """Make the script the kernel's first choice when the replica runs out of memory.

    Otherwise the OOM killer may take the supervisor, and the caller gets a dead connection
    instead of a JSON error with the script's log. Raising one's own score needs no privilege;
    children the script starts inherit it.
    """
    with contextlib.suppress(OSError):
        Path(f"/proc/{pid}/oom_score_adj").write_text("1000")


def echo_log(path: Path, *, label: str, limit: int) -> None:
    """Copy the script's log into the supervisor's own log (what `faas-cli logs` shows).

    Only the last `limit` bytes of a long log, so one chatty script cannot flood the replica log.
    """
    text = read_tail(path, limit)
    for line in text.splitlines():
        script_log.info("%s: %s", label, line)


def read_tail(path: Path, limit: int) -> str:
    """The last `limit` bytes of a log file as text (invalid UTF-8 replaced)."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - limit))
            data = handle.read()
    except FileNotFoundError:
        return ""
    return data.decode("utf-8", "replace")


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)

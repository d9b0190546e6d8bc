"""`provider.processes`: detached processes are found again by (pid, start time) and stopped."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

from provider import processes

SLEEPER = [sys.executable, "-c", "import sys, time; print('up', flush=True); time.sleep(60)"]


def test_a_detached_process_is_alive_until_stopped_and_its_log_says_when_it_is_ready(
    tmp_path: Path,
) -> None:
    log = tmp_path / "logs" / "sleeper.log"
    process = processes.start(SLEEPER, env={}, log=log)
    start_time = processes.detach(process)
    assert processes.alive(process.pid, start_time)
    ready = processes.log_contains(log, "up")
    assert processes.wait_until(ready, alive=lambda: True, timeout=10)
    processes.stop_detached(process.pid, start_time, sig=signal.SIGTERM, grace=5)
    assert not processes.alive(process.pid, start_time)


def test_a_pid_with_another_start_time_is_never_signalled(tmp_path: Path) -> None:
    process = processes.start(SLEEPER, env={}, log=tmp_path / "sleeper.log")
    start_time = processes.detach(process)
    processes.stop_detached(process.pid, start_time + 1, sig=signal.SIGKILL, grace=1)
    assert processes.alive(process.pid, start_time)
    processes.stop_detached(process.pid, start_time, sig=signal.SIGKILL, grace=1)
    assert not processes.alive(process.pid, start_time)


def test_waiting_ends_false_when_the_process_is_gone(tmp_path: Path) -> None:
    assert not processes.wait_until(lambda: False, alive=lambda: False, timeout=5)

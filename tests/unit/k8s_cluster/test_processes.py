"""Detached processes remembered by pid file and start time, and stopped for sure."""

from __future__ import annotations

import os
from pathlib import Path

from k8s_cluster import processes

ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}


def test_a_spawned_process_is_recorded_then_stopped(tmp_path: Path) -> None:
    running = processes.spawn(
        "sleeper", ["sleep", "60"], env=ENV, log=tmp_path / "sleeper.log", run_dir=tmp_path
    )

    assert processes.recorded("sleeper", tmp_path) == running
    processes.stop(running, grace=5)

    assert not processes.alive(running)
    assert processes.recorded("sleeper", tmp_path) is None


def test_a_pid_file_naming_a_reused_pid_is_not_trusted(tmp_path: Path) -> None:
    # Our own pid, with a start time that is not ours: the pid was reused by someone else.
    (tmp_path / "ghost.pid").write_text(f"{os.getpid()} 1\n")

    assert processes.recorded("ghost", tmp_path) is None


def test_a_process_that_ignores_sigterm_is_killed(tmp_path: Path) -> None:
    running = processes.spawn(
        "stubborn",
        ["sh", "-c", "trap '' TERM; while :; do sleep 0.1; done"],
        env=ENV,
        log=tmp_path / "stubborn.log",
        run_dir=tmp_path,
    )

    processes.stop(running, grace=0.5)

    assert not processes.alive(running)

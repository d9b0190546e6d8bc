"""`supervisor.script`: exit codes, logs on disk, timeouts that take the script's children along."""

from __future__ import annotations

import os
import select
from pathlib import Path
from typing import TYPE_CHECKING

from supervisor.script import read_tail, run_script

if TYPE_CHECKING:
    from tests.unit.conftest import MakeScript

# Long enough that a child still alive at the end of a test was not ended by the clock.
CHILD_SECONDS = 120
# How long a killed process may take to finish dying; a bound, not a wait that the test relies on.
EXIT_DEADLINE = 10.0


def _assert_process_ends(pid: int) -> None:
    """The process has exited (a zombie counts: its reaper is not us) or will within the deadline.

    A pidfd becomes readable when the process exits, whether or not it has been reaped yet, so
    this waits on the event itself instead of polling or sleeping.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # already exited and reaped
    try:
        readable, _, _ = select.select([fd], [], [], EXIT_DEADLINE)
    finally:
        os.close(fd)
    assert readable, f"process {pid} is still running {EXIT_DEADLINE}s after the script ended"


def test_the_exit_code_is_captured(make_script: MakeScript, tmp_path: Path) -> None:
    log = tmp_path / "log"

    run = run_script(
        (str(make_script("exit 3")),), env={}, cwd=tmp_path, timeout=30, stdout=log, stderr=log
    )

    assert run.exit_code == 3
    assert run.timed_out is False
    assert run.succeeded is False
    assert run.duration >= 0


def test_exit_code_zero_is_a_success(make_script: MakeScript, tmp_path: Path) -> None:
    log = tmp_path / "log"

    run = run_script(
        (str(make_script("true")),), env={}, cwd=tmp_path, timeout=30, stdout=log, stderr=log
    )

    assert (run.exit_code, run.timed_out, run.succeeded) == (0, False, True)


def test_a_script_killed_by_a_signal_reports_a_negative_exit_code(
    make_script: MakeScript, tmp_path: Path
) -> None:
    log = tmp_path / "log"

    run = run_script(
        (str(make_script("kill -KILL $$")),),
        env={},
        cwd=tmp_path,
        timeout=30,
        stdout=log,
        stderr=log,
    )

    assert run.exit_code == -9
    assert run.succeeded is False


def test_stdout_and_stderr_in_the_same_file_interleave(
    make_script: MakeScript, tmp_path: Path
) -> None:
    script = make_script("echo one\necho two >&2\necho three\necho four >&2")
    log = tmp_path / "log"

    run_script((str(script),), env={}, cwd=tmp_path, timeout=30, stdout=log, stderr=log)

    assert log.read_text() == "one\ntwo\nthree\nfour\n"


def test_stdout_and_stderr_in_different_files_stay_apart(
    make_script: MakeScript, tmp_path: Path
) -> None:
    script = make_script("echo out\necho err >&2")
    out, err = tmp_path / "out", tmp_path / "err"

    run_script((str(script),), env={}, cwd=tmp_path, timeout=30, stdout=out, stderr=err)

    assert out.read_text() == "out\n"
    assert err.read_text() == "err\n"


def test_logs_are_appended_to_existing_files(make_script: MakeScript, tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("before\n")

    run_script(
        (str(make_script("echo after")),), env={}, cwd=tmp_path, timeout=30, stdout=log, stderr=log
    )

    assert log.read_text() == "before\nafter\n"


def test_the_script_gets_exactly_the_environment_and_folder_given(
    make_script: MakeScript, tmp_path: Path
) -> None:
    script = make_script('echo "$GREETING|${HOME-unset}|$(pwd)"')
    work = tmp_path / "work"
    work.mkdir()
    log = tmp_path / "log"

    run_script(
        (str(script),), env={"GREETING": "hi there"}, cwd=work, timeout=30, stdout=log, stderr=log
    )

    assert log.read_text() == f"hi there|unset|{work}\n"


def test_the_script_reads_nothing_from_stdin(make_script: MakeScript, tmp_path: Path) -> None:
    log = tmp_path / "log"

    run = run_script(
        (str(make_script("cat; echo done")),),
        env={},
        cwd=tmp_path,
        timeout=30,
        stdout=log,
        stderr=log,
    )

    assert run.exit_code == 0
    assert log.read_text() == "done\n"


def test_a_timeout_sets_timed_out_and_kills_a_background_child(
    make_script: MakeScript, tmp_path: Path
) -> None:
    # The child ignores SIGTERM, so only the final SIGKILL to the whole group can end it.
    script = make_script(
        f"sh -c 'trap \"\" TERM; exec sleep {CHILD_SECONDS}' &\n"
        "echo $! > child.pid\n"
        "echo started\n"
        f"sleep {CHILD_SECONDS}"
    )
    log = tmp_path / "log"

    run = run_script((str(script),), env={}, cwd=tmp_path, timeout=0.5, stdout=log, stderr=log)

    assert run.timed_out is True
    assert run.exit_code is None
    assert run.succeeded is False
    assert run.duration < CHILD_SECONDS
    assert log.read_text() == "started\n"
    _assert_process_ends(int((tmp_path / "child.pid").read_text()))


def test_a_background_child_left_by_a_finished_script_is_killed(
    make_script: MakeScript, tmp_path: Path
) -> None:
    script = make_script(f"sleep {CHILD_SECONDS} &\necho $! > child.pid\nexit 0")
    log = tmp_path / "log"

    run = run_script((str(script),), env={}, cwd=tmp_path, timeout=30, stdout=log, stderr=log)

    assert run.exit_code == 0
    _assert_process_ends(int((tmp_path / "child.pid").read_text()))


def test_read_tail_returns_only_the_last_bytes(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"0123456789")

    assert read_tail(log, 4) == "6789"
    assert read_tail(log, 10) == "0123456789"
    assert read_tail(log, 1000) == "0123456789"


def test_read_tail_of_a_missing_file_is_empty(tmp_path: Path) -> None:
    assert read_tail(tmp_path / "never-written", 100) == ""


def test_read_tail_replaces_invalid_utf8(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"ok \xff\xfe done")

    assert read_tail(log, 100) == "ok \ufffd\ufffd done"


def test_read_tail_that_cuts_a_character_in_half_replaces_the_half(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes("aé".encode())  # é is two bytes: c3 a9

    assert read_tail(log, 1) == "\ufffd"
    assert read_tail(log, 2) == "é"

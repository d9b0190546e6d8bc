"""Scripts that fail, hang, eat memory or fill the disk: the job fails with its reason, and
nothing else breaks (no output, no leftover process or file, the engine keeps serving)."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from tests.reliability.services import (
    FUNCTIONS,
    deploy_service,
    job_detail,
    outputs,
    upload,
    wait_terminal,
)
from tests.support.stack import FUNCTION_USER, RunningStack, processes_of
from tests.support.waiting import wait_for

TWO_ATTEMPTS = {"oscar.max_attempts": "2"}


def attempts(detail: dict[str, object]) -> list[tuple[object, object]]:
    history = detail["history"]
    assert isinstance(history, list)
    return [(a["outcome"], a["http_status"]) for a in history]


def test_a_script_that_always_fails_is_dead_lettered_with_its_log_tail(
    stack: RunningStack,
) -> None:
    service = deploy_service(stack, "alwaysfails", "exit3", annotations=TWO_ATTEMPTS)
    files = {f"in/broken-{n}.txt": f"cannot be processed {n}".encode() for n in range(3)}

    upload(stack, service.input_bucket, files)

    final = wait_terminal(stack, service.name, 3, timeout=90)
    assert sorted(j["key"] for j in final) == sorted(files)
    for job in final:
        detail = job_detail(stack, service.name, job["id"])
        name = job["key"].rsplit("/", 1)[1]
        assert detail["status"] == "dead"
        assert attempts(detail) == [("failed", 500), ("failed", 500)]
        assert detail["error"].startswith("HTTP 500: script exited with code 3"), detail["error"]
        assert f"starting on {name}" in detail["log_tail"]
        assert "something went wrong" in detail["log_tail"]
    assert outputs(stack, service.output_bucket) == {}  # its partial output is never uploaded


def sleepers() -> list[int]:
    """The hang script's `sleep 600` children still alive (they run as the function user)."""
    found = []
    for process in processes_of(FUNCTION_USER):
        try:
            if process.cmdline()[:2] == ["sleep", "600"]:
                found.append(process.pid)
        except psutil.Error:
            continue  # it ended between the listing and the read
    return found


def test_a_script_that_hangs_is_killed_at_its_timeout_with_its_children(
    stack: RunningStack,
) -> None:
    service = deploy_service(
        stack,
        "hangs",
        FUNCTIONS / "hang",
        annotations=TWO_ATTEMPTS,
        environment={"SCRIPT_TIMEOUT": "2"},
    )

    upload(stack, service.input_bucket, {"in/stuck.txt": b"this never finishes"})

    [job] = wait_terminal(stack, service.name, 1, timeout=90)
    detail = job_detail(stack, service.name, job["id"])
    assert detail["status"] == "dead"
    assert attempts(detail) == [("failed", 504), ("failed", 504)]
    assert "timeout of 2s" in detail["error"], detail["error"]
    assert "hanging on stuck.txt" in detail["log_tail"]
    # Killed at the script's 2 s, not at the stack's 20 s function timeout.
    assert all(a["duration_seconds"] < 10 for a in detail["history"]), detail["history"]
    wait_for(lambda: not sleepers(), timeout=10, what="the hung script's child to be killed")
    assert outputs(stack, service.output_bucket) == {}


def test_a_script_over_its_memory_limit_fails_its_job_and_the_engine_carries_on(
    stack: RunningStack,
) -> None:
    greedy = deploy_service(
        stack, "greedy", "greedy", annotations=TWO_ATTEMPTS, limits={"memory": "64Mi"}
    )
    bystander = deploy_service(stack, "bystander", "ok")

    upload(stack, greedy.input_bucket, {"in/appetite.txt": b"300 MB, please"})

    [job] = wait_terminal(stack, greedy.name, 1, timeout=90)
    detail = job_detail(stack, greedy.name, job["id"])
    assert detail["status"] == "dead"
    assert [outcome for outcome, _ in attempts(detail)] == ["failed", "failed"]
    assert detail["error"].startswith("HTTP 5"), detail["error"]
    assert outputs(stack, greedy.output_bucket) == {}
    # The engine is unharmed: its parts answer, another service processes files and calls.
    provider = stack.status["provider"]["url"]
    assert requests.get(f"{provider}/healthz", timeout=5).ok
    assert requests.get(f"{stack.openfaas_url}/healthz", timeout=5).ok
    upload(stack, bystander.input_bucket, {"in/calm.txt": b"still here"})
    [calm] = wait_terminal(stack, bystander.name, 1, timeout=60)
    assert calm["status"] == "succeeded"
    assert outputs(stack, bystander.output_bucket) == {"out/calm.txt": b"STILL HERE"}
    answer = stack.gateway.post(
        f"{stack.gateway_url}/run/{bystander.name}",
        data=b"sync too",
        headers={"X-Filename": "s.txt"},
        timeout=30,
    )
    assert (answer.status_code, answer.content) == (200, b"SYNC TOO")
    stack.wait_available(greedy.name, 1, timeout=60)  # restarted, like a pod after an OOM kill


@pytest.fixture
def tiny_workspace() -> Iterator[Path]:
    """A 1 MiB tmpfs, writable by the function user; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    folder = Path(tempfile.mkdtemp(prefix="oscar-tiny-workspace-", dir="/var/tmp"))
    mount = ["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", str(folder)]
    subprocess.run(mount, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True, capture_output=True)
        folder.rmdir()


def test_a_full_workspace_fails_the_job_with_507_and_the_function_still_works(
    stack: RunningStack, tiny_workspace: Path
) -> None:
    service = deploy_service(
        stack,
        "fulldisk",
        "ok",
        annotations=TWO_ATTEMPTS,
        environment={"WORKSPACE_ROOT": str(tiny_workspace)},
    )

    upload(stack, service.input_bucket, {"in/too-big.bin": os.urandom(3 << 20)})

    [job] = wait_terminal(stack, service.name, 1, timeout=90)
    detail = job_detail(stack, service.name, job["id"])
    assert detail["status"] == "dead"
    assert attempts(detail) == [("failed", 507), ("failed", 507)]
    assert detail["error"].startswith("HTTP 507: workspace is full"), detail["error"]
    # Nothing was corrupted: the job's folders are gone and a file that fits is processed.
    wait_for(
        lambda: not any(tiny_workspace.iterdir()),
        timeout=10,
        what="the failed job's workspace to be removed",
    )
    upload(stack, service.input_bucket, {"in/small.txt": b"fits"})
    wait_terminal(stack, service.name, 2, timeout=60)
    assert outputs(stack, service.output_bucket) == {"out/small.txt": b"FITS"}
    assert not any(tiny_workspace.iterdir())

"""The throughput benchmark's measurements: the platform against a loop with no platform, doing
the same per-file work at the same parallelism, one beside the other in the same run.

Per file the loop does what a user would do without the platform: upload the input
(`put_object`), download it again (`get_object` to a file, as the supervisor does), run the same
copy script through `subprocess.run`, upload its output (`fput_object`). The platform's files
are uploaded by as many threads as the loop runs, and its clock runs from the first upload to
the last job's callback; its service runs with `oscar.concurrency` equal to that parallelism.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.plain_loop import PlainLoop
from bench.platform_stack import Bench, BenchService, cpu_seconds
from bench.report_file import BenchError


@dataclass(frozen=True)
class Cell:
    """One file size at one parallelism: the platform and the loop, side by side."""

    size: int
    concurrency: int
    files: int
    platform_seconds: float
    loop_seconds: float
    platform_cpu_ms: dict[str, float]  # process -> CPU ms per file
    loop_cpu_ms: dict[str, float]
    batches: float  # jobs per invocation, on average (from the jobs' shared call ids)

    @property
    def platform_rate(self) -> float:
        return self.files / self.platform_seconds

    @property
    def loop_rate(self) -> float:
        return self.files / self.loop_seconds

    @property
    def ratio(self) -> float:
        return self.platform_rate / self.loop_rate


def payload(size: int) -> bytes:
    return os.urandom(size)


def measure_cell(
    bench: Bench, service: BenchService, *, size: int, concurrency: int, files: int, scratch: Path
) -> Cell:
    data = payload(size)
    label = f"s{size}-c{concurrency}"
    loop = PlainLoop(bench.stack.minio, service, scratch=scratch)
    me = [psutil.Process()]
    minio = [bench.component("minio")]
    before = {"the loop (with its scripts)": cpu_seconds(me), "minio": cpu_seconds(minio)}
    loop_seconds = loop.run_uploading(
        data, files=files, threads=concurrency, prefix=f"loop-{label}/"
    )
    loop_cpu = {
        "the loop (with its scripts)": cpu_seconds(me) - before["the loop (with its scripts)"],
        "minio": cpu_seconds(minio) - before["minio"],
    }
    platform_seconds, platform_cpu, batches = run_platform(
        bench, service, data, files=files, threads=concurrency, label=label
    )
    bench_cleanup(bench, service, label)
    return Cell(
        size=size,
        concurrency=concurrency,
        files=files,
        platform_seconds=platform_seconds,
        loop_seconds=loop_seconds,
        platform_cpu_ms={k: v * 1000 / files for k, v in platform_cpu.items()},
        loop_cpu_ms={k: v * 1000 / files for k, v in loop_cpu.items()},
        batches=batches,
    )


def run_platform(
    bench: Bench, service: BenchService, data: bytes, *, files: int, threads: int, label: str
) -> tuple[float, dict[str, float], float]:
    """(first PUT to last callback in seconds, CPU seconds per process, jobs per invocation)."""
    keys = [f"in/{label}/{index:05d}.bin" for index in range(files)]
    processes = bench.processes(service.name)
    processes["uploads (the client)"] = [psutil.Process()]
    done_before = bench.counts(service.name).get("succeeded", 0)
    before = {name: cpu_seconds(group) for name, group in processes.items()}
    began = time.time()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda k: bench.put(service.input_bucket, k, data), keys))
    wait_counted(bench, service.name, done_before + files, timeout=120 + files * len(data) / 2e6)
    cpu = {name: cpu_seconds(group) - before[name] for name, group in processes.items()}
    jobs = newest_jobs(bench, service.name, files)
    if {j["key"] for j in jobs} != set(keys):
        raise BenchError(f"the newest {files} jobs of {service.name} are not this run's")
    outputs = bench.count_objects(service.output_bucket, f"out/{label}/")
    if outputs != files:
        raise BenchError(f"expected {files} outputs of {service.name}, found {outputs}")
    finished = max(float(j["finished_at"]) for j in jobs)
    return finished - began, cpu, files / max(1, len(_calls(bench, service.name, jobs)))


def wait_counted(bench: Bench, service: str, count: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        counts = bench.counts(service)
        if counts.get("dead"):
            raise BenchError(f"{counts['dead']} job(s) of {service} are dead letters")
        if counts.get("succeeded", 0) >= count:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{service}: {counts} after {timeout:.0f}s, expected {count} done")
        # Not often: each look is a count over every job, and the gateway's CPU is measured.
        # The clock is the jobs' own `finished_at`, so noticing later changes no number.
        time.sleep(0.5)


def newest_jobs(bench: Bench, service: str, count: int) -> list[dict[str, Any]]:
    answer = bench.session.get(
        f"{bench.gateway_url}/system/jobs/{service}", params={"limit": str(count)}, timeout=60
    )
    answer.raise_for_status()
    jobs: list[dict[str, Any]] = answer.json()["jobs"]
    return jobs


def _calls(bench: Bench, service: str, jobs: Sequence[dict[str, Any]]) -> set[str]:
    """The invocations that carried `jobs`: the call id of each one's last attempt."""
    calls: set[str] = set()
    for job in jobs:
        answer = bench.session.get(
            f"{bench.gateway_url}/system/jobs/{service}/{job['id']}", timeout=30
        )
        answer.raise_for_status()
        attempts = answer.json().get("history") or [{}]
        calls.add(str(attempts[-1].get("call_id", job["id"])))
    return calls


def bench_cleanup(bench: Bench, service: BenchService, label: str) -> None:
    """Remove the run's objects, so 64 MiB runs do not fill the disk."""
    s3 = bench.stack.minio
    for bucket, prefix in (
        (service.input_bucket, f"in/{label}/"),
        (service.output_bucket, f"out/{label}/"),
        (service.output_bucket, f"loop-{label}/"),
    ):
        for item in s3.list_objects(bucket, prefix=prefix, recursive=True):
            s3.remove_object(bucket, str(item.object_name))


def loop_single(bench: Bench, service: BenchService, *, files: int, scratch: Path) -> list[float]:
    """Upload to output of single 1 KiB files, one at a time, by the loop."""
    loop = PlainLoop(bench.stack.minio, service, scratch=scratch)
    data = payload(1024)
    return [loop.one(data, f"single/in/{index:05d}.bin") for index in range(files)]

"""The platform benchmark's file measurements: upload to script start, and throughput.

Times are wall-clock (`time.time()`) where they are compared with the gateway's job records
(`received_at`, `dispatched_at`, `started_at`, `finished_at`, written by the gateway process with
the same clock) and `perf_counter` where only this process times something.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)
SMALL = 1024


def percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(q * len(ordered) + 0.5) - 1))]


# --- event to script start ---------------------------------------------------------------------

# Each phase ends at a moment of the job's life; all are measured from the upload's acknowledgement.
PHASES = (
    ("event at the gateway", "received_at"),
    ("job dispatched", "dispatched_at"),
    ("queue-worker picked it up", "started_at"),
    ("script started", "script_started"),
    ("output in MinIO", "output_written"),
    ("job finished (callback)", "finished_at"),
)


@dataclass(frozen=True)
class Latency:
    uploads: int
    rate: float
    put_seconds: list[float]
    phases: dict[str, list[float]]  # phase name -> seconds after the upload's acknowledgement
    # Each succeeded job's record and its upload's acknowledgement (bench.ledger_latency times
    # the hops in between from the stack's logs).
    jobs: tuple[tuple[dict[str, Any], float], ...] = ()


def measure_latency(bench: Bench, service: BenchService, *, uploads: int, rate: float) -> Latency:
    """`uploads` 1 KiB files, one at a time at a steady `rate` per second."""
    acked: dict[str, tuple[float, float]] = {}
    began = time.monotonic()
    for index in range(uploads):
        # A paced load: each upload goes at its slot, as a steady producer would send it.
        delay = began + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        key = f"in/lat-{index:05d}.bin"
        acked[key] = bench.put(service.input_bucket, key, key.encode().ljust(SMALL, b"."))
    log.info("latency: %d uploads in %.1fs", uploads, time.monotonic() - began)
    jobs = bench.wait_succeeded(service.name, uploads, timeout=120 + uploads / 10)
    phases: dict[str, list[float]] = {name: [] for name, _ in PHASES}
    written = output_times(bench, service)
    for job in jobs:
        ack = acked[job["key"]][1]
        moments = {
            **job,
            "script_started": script_time(job["log_tail"], "started"),
            "output_written": written[job["key"].replace("in/", "out/", 1)],
        }
        for name, field in PHASES:
            phases[name].append(float(moments[field]) - ack)
    puts = [ack - sent for sent, ack in acked.values()]
    return Latency(uploads, rate, puts, phases, tuple((j, acked[j["key"]][1]) for j in jobs))


def output_times(bench: Bench, service: BenchService) -> dict[str, float]:
    """When each output of the service was written: MinIO's LastModified (milliseconds; the
    same machine's clock as the jobs' times), by key."""
    listed = bench.stack.minio.list_objects(service.output_bucket, prefix="out/", recursive=True)
    return {
        str(item.object_name): item.last_modified.timestamp()
        for item in listed
        if item.last_modified is not None
    }


def script_time(log_tail: str, word: str) -> float:
    """The epoch time the stamp script printed after `word` (`started 1764000000.123456789`)."""
    for line in log_tail.splitlines():
        if line.startswith(f"{word} "):
            return float(line.split()[1])
    raise BenchError(f"the stamp script's log has no '{word}' line: {log_tail!r}")


# --- throughput --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Throughput:
    files: int
    upload_seconds: float  # the 1,000 PUTs alone, from `uploaders` threads
    platform_seconds: float  # first PUT sent -> last job finished
    platform_busy_seconds: float  # first event received -> last job finished
    plain_seconds: float  # the plain loop, one file at a time
    plain_parallel_seconds: float  # the plain loop on `parallel` threads
    parallel: int
    cpu_ms: dict[str, float]  # platform component -> CPU ms per file
    plain_cpu_ms: dict[str, float]  # the sequential plain loop: this process, MinIO

    @property
    def platform_rate(self) -> float:
        return self.files / self.platform_seconds

    @property
    def plain_rate(self) -> float:
        return self.files / self.plain_seconds

    @property
    def plain_parallel_rate(self) -> float:
        return self.files / self.plain_parallel_seconds


def measure_throughput(
    bench: Bench, service: BenchService, *, files: int, uploaders: int, parallel: int, scratch: Path
) -> Throughput:
    keys = [f"in/tp-{index:05d}.bin" for index in range(files)]
    processes = bench.processes(service.name)
    before = {name: cpu_seconds(group) for name, group in processes.items()}
    began = time.time()
    with ThreadPoolExecutor(uploaders) as pool:
        list(pool.map(lambda k: bench.put(service.input_bucket, k, os.urandom(SMALL)), keys))
    uploaded = time.time()
    jobs = bench.wait_succeeded(service.name, files, timeout=120 + files / 5)
    cpu_ms = {
        name: (cpu_seconds(group) - before[name]) * 1000 / files
        for name, group in processes.items()
    }
    finished = max(float(j["finished_at"]) for j in jobs)
    received = min(float(j["received_at"]) for j in jobs)
    outputs = bench.count_objects(service.output_bucket, "out/")
    if outputs != files:
        raise BenchError(f"expected {files} outputs of {service.name}, found {outputs}")
    loop = PlainLoop(bench.stack.minio, service, scratch=scratch)
    plain_processes = {"the loop (with its scripts)": [psutil.Process()], **{
        "minio": processes["minio"]}}  # fmt: skip
    before = {name: cpu_seconds(group) for name, group in plain_processes.items()}
    plain = loop.run(keys, threads=1, prefix="plain-1/")
    plain_cpu_ms = {
        name: (cpu_seconds(group) - before[name]) * 1000 / files
        for name, group in plain_processes.items()
    }
    plain_parallel = loop.run(keys, threads=parallel, prefix=f"plain-{parallel}/")
    return Throughput(
        files=files,
        upload_seconds=uploaded - began,
        platform_seconds=finished - began,
        platform_busy_seconds=finished - received,
        plain_seconds=plain,
        plain_parallel_seconds=plain_parallel,
        parallel=parallel,
        cpu_ms=cpu_ms,
        plain_cpu_ms=plain_cpu_ms,
    )

"""The whole platform, measured on the local engine with real MinIO, against plain baselines.

    python -m bench.platform [--uploads 1000] [--rate 25] [--files 1000] [--big-mb 1024]

One run starts its own stack (`oscar up` in a throwaway folder under /var/tmp; it first waits for
the OpenFaaS gateway's ports 8080/8082, since one stack runs per machine), deploys a few services
with faas-cli, and measures:

* upload to script start: N small uploads at a steady rate; each job's times from the jobs API and
  the script's own clock, against the time MinIO acknowledged the upload;
* throughput: 1,000 files of 1 KiB through a copy script, beside a plain loop doing the same
  per-file work (get_object, the script through subprocess, fput_object), sequential and with the
  platform's parallelism;
* synchronous calls: the gateway's /run against the replica's watchdog, hop by hop;
* one big file: the platform against a raw get_object plus fput_object, and the peak RSS of the
  supervisor, the gateway and the provider;
* cold start: deploy to the first answer, three times.

It prints its section, rewrites it in docs/BENCHMARKS.md (between the platform markers) and stops
the stack (`oscar down --purge`), also when a measurement fails.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.platform_calls import measure_big, measure_cold_start, measure_sync
from bench.platform_measure import measure_latency, measure_throughput
from bench.platform_report import Results, Settings, render
from bench.platform_stack import MIB, load_average, machine
from bench.stack_run import main_of, stack_bench
from tests.support.tools import ROOT, watchdog_is_standin

log = logging.getLogger(__name__)
REPORT = ROOT / "docs" / "BENCHMARKS.md"


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.platform",
        description="Measure the platform end to end on the local engine; update BENCHMARKS.md.",
    )
    parser.add_argument("--uploads", type=int, default=1000, help="latency uploads (1000)")
    parser.add_argument("--rate", type=float, default=25.0, help="latency uploads/s (25)")
    parser.add_argument("--files", type=int, default=1000, help="throughput files (1000)")
    parser.add_argument("--big-mb", type=int, default=1024, help="big file in MiB (1024)")
    parser.add_argument("--calls", type=int, default=200, help="sync calls per path (200)")
    parser.add_argument("--cold-starts", type=int, default=3, help="cold starts (3)")
    parser.add_argument("--concurrency", type=int, default=4, help="oscar.concurrency (4)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas per service (2)")
    parser.add_argument("--workers", type=int, default=3, help="queue-workers (3, as oscar up)")
    parser.add_argument(
        "--wait-ports", type=float, default=900, help="seconds to wait for 8080/8082 (900)"
    )
    parser.add_argument("--report", type=Path, default=REPORT, help="markdown file to update")
    args = parser.parse_args(argv)
    small = {name: getattr(args, name) for name in ("uploads", "files", "calls")}
    if min(small.values()) < 4 or min(args.big_mb, args.cold_starts) < 1 or args.rate <= 0:
        parser.error(
            f"--uploads, --files and --calls must be at least 4 (found {small}); --big-mb, "
            "--cold-starts and --rate must be positive"
        )
    return args


def run(args: argparse.Namespace, command: str) -> Results:
    began = time.monotonic()
    load_before = load_average()
    annotations = {"oscar.concurrency": str(args.concurrency)}
    stack = {"OSCAR_QUEUE_WORKERS": str(args.workers)}
    with stack_bench(stack, wait_ports=args.wait_ports) as (bench, scratch):
        log.info("stack up; deploying the services")
        stamp = bench.deploy("stamp", "stamp", replicas=args.replicas, annotations=annotations)
        copy = bench.deploy("copy", "copy", replicas=args.replicas, annotations=annotations)
        echo = bench.deploy("echo", "echo")
        big = bench.deploy("big", "stamp")
        log.info("upload to script start: %d uploads at %g/s", args.uploads, args.rate)
        latency = measure_latency(bench, stamp, uploads=args.uploads, rate=args.rate)
        log.info("throughput: %d files", args.files)
        throughput = measure_throughput(
            bench,
            copy,
            files=args.files,
            uploaders=4,
            parallel=min(args.concurrency, args.workers),
            scratch=scratch,
        )
        log.info("synchronous calls: %d per path", args.calls)
        sync = measure_sync(bench, echo, calls=args.calls)
        log.info("a %d MiB file", args.big_mb)
        big_file = measure_big(bench, big, size=args.big_mb * MIB, scratch=scratch)
        log.info("cold starts: %d", args.cold_starts)
        cold = measure_cold_start(bench, echo, runs=args.cold_starts)
    settings = Settings(
        command=command,
        machine=machine(),
        watchdog="watchdog-standin (the real of-watchdog is not installable here)"
        if watchdog_is_standin()
        else "of-watchdog",
        workers=args.workers,
        concurrency=args.concurrency,
        replicas=args.replicas,
        load_before=load_before,
        load_after=load_average(),
    )
    return Results(
        settings=settings,
        date=datetime.now(UTC),
        runtime_seconds=time.monotonic() - began,
        latency=latency,
        throughput=throughput,
        sync=sync,
        big=big_file,
        cold=cold,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    return main_of(
        "bench.platform",
        argv,
        run=lambda command: run(args, command),
        render=render,
        report=args.report,
        section="platform",
    )


if __name__ == "__main__":
    sys.exit(main())

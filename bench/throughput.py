"""Throughput a user would believe: the platform beside a loop with no platform, in one run.

    python -m bench.throughput [--small-files 400] [--mib-files 120] [--big-files 12]

One stack (`oscar up`, 8 queue-workers so that 8 jobs can run at once) with one copy service per
parallelism (1, 2, 4, 8: `oscar.concurrency` set to it, 2 replicas, batching as it comes, no
tuning). For 1 KiB, 1 MiB and 64 MiB files at each parallelism: the loop (`bench.
plain_loop.PlainLoop`: upload, download, the script, the output's upload, on that many
threads), then the platform (that many uploading threads, the clock from the first upload to
the last callback), with each process's CPU per file. Then single files at 25 per second
(upload to script start and to output) beside the loop one file at a time. It rewrites its
section of docs/BENCHMARKS.md and the plots docs/throughput-*.png. Run it under the stack lock
(`flock /tmp/oscar-stack.lock python -m bench.throughput`): it needs ports 8080/8082.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.platform_measure import measure_latency
from bench.platform_stack import MIB, load_average, machine
from bench.stack_run import main_of, stack_bench
from bench.throughput_measure import Cell, loop_single, measure_cell, run_platform
from bench.throughput_report import Run, plot, render
from tests.support.tools import ROOT

log = logging.getLogger(__name__)
REPORT = ROOT / "docs" / "BENCHMARKS.md"
CONCURRENCY = (1, 2, 4, 8)


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--small-files", type=int, default=400, help="1 KiB files per cell")
    parser.add_argument("--mib-files", type=int, default=120, help="1 MiB files per cell")
    parser.add_argument("--big-files", type=int, default=12, help="64 MiB files per cell")
    parser.add_argument("--singles", type=int, default=300, help="single files at 25/s")
    parser.add_argument("--replicas", type=int, default=2, help="replicas per service (2)")
    parser.add_argument("--wait-ports", type=float, default=900, help="seconds to wait (900)")
    parser.add_argument("--report", type=Path, default=REPORT)
    args = parser.parse_args(argv)
    if min(args.small_files, args.mib_files, args.big_files, args.singles) < 8:
        parser.error("every count must be at least 8 (one file per thread at 8 threads)")
    return args


def run(args: argparse.Namespace, command: str) -> Run:
    began = time.monotonic()
    load_before = load_average()
    sizes = ((1024, args.small_files), (MIB, args.mib_files), (64 * MIB, args.big_files))
    cells: list[Cell] = []
    loads: list[float] = []
    settings = {"OSCAR_QUEUE_WORKERS": "8"}
    with stack_bench(settings, wait_ports=args.wait_ports) as (bench, scratch):
        services = {
            c: bench.deploy(
                f"copy{c}",
                "copy",
                replicas=args.replicas,
                annotations={"oscar.concurrency": str(c)},
            )
            for c in CONCURRENCY
        }
        stamp = bench.deploy("stamp", "stamp", replicas=args.replicas)
        for c, service in services.items():  # warm: connections, the batch sizer's timing
            run_platform(bench, service, b"w" * 1024, files=16, threads=c, label="warm")
        for size, files in sizes:
            for c in CONCURRENCY:
                log.info("%d bytes at %d: %d files", size, c, files)
                cells.append(
                    measure_cell(
                        bench, services[c], size=size, concurrency=c, files=files, scratch=scratch
                    )
                )
                loads.append(load_average())
                log.info(
                    "  loop %.0f/s, platform %.0f/s", cells[-1].loop_rate, cells[-1].platform_rate
                )
        log.info("single files: %d at 25/s", args.singles)
        latency = measure_latency(bench, stamp, uploads=args.singles, rate=25.0)
        single = loop_single(bench, stamp, files=100, scratch=scratch)
    return Run(
        command=command,
        machine=machine(),
        date=datetime.now(UTC),
        seconds=time.monotonic() - began,
        load_before=load_before,
        load_during=loads,
        load_after=load_average(),
        cells=cells,
        latency=latency,
        loop_single=single,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    return main_of(
        "bench.throughput",
        argv,
        run=lambda command: run(args, command),
        render=render,
        report=args.report,
        section="throughput",
        after=lambda results: plot(results, args.report.parent),
    )


if __name__ == "__main__":
    sys.exit(main())

"""A probe for issue 15: where the platform's CPU per small file goes, at chosen parallelisms.

    python -m bench.throughput_probe [--files 400] [--rounds 2] [--concurrency 1 4] [--spy DIR]

One stack as `bench.throughput` runs it (8 queue-workers, a copy service per parallelism,
2 replicas), then rounds of 1 KiB files through each service in turn: per round and
parallelism and variant, files/s, jobs per invocation and CPU ms per file by process. Variants
are annotations (`--variants batch_size=1 ""`: batching off beside the default, each its own
service, the rounds alternating between them). With `--spy`, py-spy records the gateway, the
provider and each supervisor (`--gil`, 100 Hz) through the last round, as collapsed stacks in
DIR. Prints; writes nothing into docs/. Run it under the
stack lock (`flock /tmp/oscar-stack.lock python -m bench.throughput_probe`).
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.platform_stack import Bench, BenchService
from bench.stack_run import stack_bench
from bench.throughput_measure import bench_cleanup, run_platform

log = logging.getLogger(__name__)


def one_round(
    bench: Bench, service: BenchService, c: int, files: int, label: str, spy: Path | None
) -> None:
    processes = bench.processes(service.name)
    spies: list[subprocess.Popen[bytes]] = []
    if spy is not None:
        targets = {
            f"gateway-c{c}": processes["gateway"][0].pid,
            f"provider-c{c}": processes["provider"][0].pid,
        }
        for n, p in enumerate(bench.supervisors(service.name)):
            targets[f"supervisor{n}-c{c}"] = p.pid
        for name, pid in targets.items():
            command = [shutil.which("py-spy") or "py-spy", "record", "--pid", str(pid), "--gil",
                       "--rate", "100", "--format", "raw", "--threads", "--nonblocking",
                       "--output", str(spy / f"{name}.txt")]  # fmt: skip
            spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
    seconds, cpu, batches = run_platform(
        bench, service, b"x" * 1024, files=files, threads=c, label=label
    )
    for process in spies:
        process.send_signal(2)
        process.wait(timeout=30)
    bench_cleanup(bench, service, label)
    shown = " ".join(f"{k.split(' ')[0]}={v * 1000 / files:.2f}" for k, v in sorted(cpu.items()))
    total = sum(cpu.values()) * 1000 / files
    log.info(
        "N=%d %s: %.1f files/s, %.1f jobs/call, CPU ms/file all=%.2f %s",
        c, label, files / seconds, batches, total, shown,
    )  # fmt: skip


def _annotations(variant: str) -> dict[str, str]:
    pairs = (item.split("=", 1) for item in variant.split(",") if item)
    return {f"oscar.{k}": v for k, v in pairs}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput_probe", description=__doc__)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument(
        "--variants",
        nargs="+",
        default=[""],
        help="annotations per variant, e.g. batch_size=30,batch_window=0.05",
    )
    parser.add_argument("--spy", type=Path, default=None, help="py-spy the last round into DIR")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    if args.spy is not None:
        args.spy.mkdir(parents=True, exist_ok=True)
    with stack_bench({"OSCAR_QUEUE_WORKERS": "8"}, wait_ports=900) as (bench, _):
        services = {
            (c, f"{n}:{v}"): bench.deploy(f"copy{c}v{n}", "copy", replicas=args.replicas,
                                 annotations={"oscar.concurrency": str(c), **_annotations(v)})
            for c in args.concurrency for n, v in enumerate(args.variants)
        }  # fmt: skip
        for (c, _), service in services.items():
            run_platform(bench, service, b"w" * 1024, files=16, threads=c, label="warm")
        for r in range(args.rounds):
            for (c, b), service in services.items():
                last = r == args.rounds - 1
                log.info("variant %s", b)
                one_round(bench, service, c, args.files, f"r{r}", args.spy if last else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())

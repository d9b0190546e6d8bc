"""Upload to script start with the ledger on SQLite and on PostgreSQL, side by side in one run:
the same stack, service and paced uploads, once per ledger (and once with three gateways on the
PostgreSQL one), `--runs` times, the setups' order reversed every other run (the machine's load
drifts).

    python -m bench.ledger_latency [--uploads 300] [--rate 25] [--runs 3]

Each setup is its own `oscar up` in a throwaway folder (one stack per machine: run it under the
stack lock), with the platform benchmark's `stamp` service; PostgreSQL is a fresh Debian 15 server
with its default durability. Besides the job's own records, the hops between its claim and its
function's start are read from the queue-worker logs (`bench.ledger_hops`). Under the table,
the p50 added against SQLite in each run (the median of the runs' differences) to OpenFaaS
taking the call (the part the ledger is on) and to the script's start, and per job the hops
from OpenFaaS taking the call to the script's start, whose spread between runs is the noise
in the script-start column. Prints its section
and rewrites it in docs/BENCHMARKS.md (between the ledger-latency markers).
"""

from __future__ import annotations

import argparse
import logging
import statistics
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bench.ledger_hops import queued_calls
from bench.platform_measure import PHASES, Latency, measure_latency, percentile
from bench.platform_stack import Bench, load_average, machine
from bench.report_file import write_section
from tests.support.postgres import PostgresServer
from tests.support.stack import running_stack

log = logging.getLogger(__name__)
TOOK, STORED = "OpenFaaS took the call", "NATS stored it"
STARTED = "script started"
# Per job, from OpenFaaS taking its call to its script's start: the hops after the ledger's
# (NATS Streaming, a queue-worker, the provider, the replica), the same code for both ledgers.
AFTER = "OpenFaaS took it -> script started"
# The job's moments in order, the two hops from the logs after the claim ("job dispatched" is
# the claim's own time, taken before its queries).
ORDER = (*[name for name, _ in PHASES[:2]], TOOK, STORED, *[name for name, _ in PHASES[2:]])
Result = tuple[dict[str, list[float]], float]  # phase -> seconds after the upload; load after


def measure(settings: Mapping[str, str], *, uploads: int, rate: float) -> Result:
    with running_stack(settings) as stack:
        bench = Bench(stack)
        stamp = bench.deploy("stamp", "stamp", replicas=2, annotations={"oscar.concurrency": "4"})
        latency = measure_latency(bench, stamp, uploads=uploads, rate=rate)
        return with_hops(latency, Path(stack.state_dir) / "logs"), load_average()


def with_hops(latency: Latency, logs: Path) -> dict[str, list[float]]:
    hops = queued_calls(logs)
    phases = {**latency.phases, TOOK: [], STORED: [], AFTER: []}
    for (job, ack), started in zip(latency.jobs, latency.phases[STARTED], strict=True):
        if found := hops.get(job["id"]):
            phases[TOOK].append(found.openfaas_took - ack)
            phases[STORED].append(found.nats_stored - ack)
            phases[AFTER].append(started + ack - found.openfaas_took)
    return phases


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=300)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    names = ["SQLite, 1 gateway", "PostgreSQL, 1 gateway", "PostgreSQL, 3 gateways"]
    runs: list[dict[str, Result]] = []
    try:
        for run in range(args.runs):
            settings: dict[str, dict[str, str]] = {
                names[0]: {},
                names[1]: {"OSCAR_LEDGER_URL": server.create_database()},
                names[2]: {"OSCAR_LEDGER_URL": server.create_database(), "OSCAR_GATEWAYS": "3"},
            }
            results: dict[str, Result] = {}
            for name in names if run % 2 == 0 else names[::-1]:
                log.info("run %d, %s: %d uploads at %g/s", run + 1, name, args.uploads, args.rate)
                results[name] = measure(settings[name], uploads=args.uploads, rate=args.rate)
            runs.append(results)
    finally:
        server.remove()
    section = report(runs, names, uploads=args.uploads, rate=args.rate)
    print(section)
    write_section(
        Path(__file__).parent.parent / "docs" / "BENCHMARKS.md", section, name="ledger-latency"
    )
    return 0


def ms(values: list[float], q: float) -> float:
    return percentile(values, q) * 1000


def report(runs: list[dict[str, Result]], names: list[str], *, uploads: int, rate: float) -> str:
    loads = [load for results in runs for _, load in results.values()]
    lines = [
        "## Ledger: upload to script start, SQLite and PostgreSQL",
        "",
        f"`python -m bench.ledger_latency --uploads {uploads} --rate {rate:g} --runs {len(runs)}`,"
        f" {datetime.now(UTC):%Y-%m-%d}, {machine()}, load {min(loads):.1f} to {max(loads):.1f}"
        " after each setup. Milliseconds after MinIO acknowledged the upload, p50 (p90), one"
        " stack per ledger and run; the table is the last run, the line under it every run.",
        "",
        "| ledger | " + " | ".join(ORDER) + " |",
        "|---|" + "---|" * len(ORDER),
    ]
    for name in names:
        phases = runs[-1][name][0]
        cells = [f"{ms(phases[p], 0.5):.1f} ({ms(phases[p], 0.9):.1f})" for p in ORDER]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    def added(phase: str, name: str) -> list[float]:
        return [ms(r[name][0][phase], 0.5) - ms(r[names[0]][0][phase], 0.5) for r in runs]

    lines.append("")
    for phase in (TOOK, STARTED):
        parts = []
        for name in names[1:]:
            each = added(phase, name)
            listed = ", ".join(f"{v:+.1f}" for v in each)
            parts.append(f"{name} {statistics.median(each):+.1f} ms (runs: {listed})")
        lines.append(
            f"Added at p50 to *{phase}*, against SQLite, median of runs: " + "; ".join(parts) + "."
        )
        lines.append("")
    lines += [*noise(runs, names), ""]
    return "\n".join(lines)


def noise(runs: list[dict[str, Result]], names: list[str]) -> list[str]:
    """What moves the script-start column besides the ledger's own hops: per job, from OpenFaaS
    taking the call to the script's start (the same code for both ledgers, on the same cores as
    the ledger's server), p50 by run and ledger."""
    parts = []
    for name in names:
        each = [ms(r[name][0][AFTER], 0.5) for r in runs]
        parts.append(f"{name} {', '.join(f'{v:.1f}' for v in each)}")
    spread = [ms(r[names[0]][0][STARTED], 0.5) for r in runs]
    return [
        "From OpenFaaS taking the call to the script's start, per job (the hops after the"
        " ledger's), p50 by run: " + "; ".join(parts) + f". SQLite's own p50 at script start ranged"
        f" {min(spread):.1f} to {max(spread):.1f} ms over the runs."
    ]


if __name__ == "__main__":
    raise SystemExit(main())

"""Upload to script start with the ledger on SQLite and on PostgreSQL, side by side in one run:
the same stack, service and paced uploads, once per ledger (and once with three gateways on the
PostgreSQL one).

    python -m bench.ledger_latency [--uploads 300] [--rate 25]

Each setup is its own `oscar up` in a throwaway folder (one stack per machine: run it under the
stack lock), with the platform benchmark's `stamp` service; PostgreSQL is a fresh Debian 15 server
with its default durability. Prints its section and rewrites it in docs/BENCHMARKS.md (between the
ledger-latency markers).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bench.platform_measure import PHASES, Latency, measure_latency, percentile
from bench.platform_stack import Bench, load_average, machine
from bench.report_file import write_section
from tests.support.postgres import PostgresServer
from tests.support.stack import running_stack

log = logging.getLogger(__name__)


def measure(settings: Mapping[str, str], *, uploads: int, rate: float) -> Latency:
    with running_stack(settings) as stack:
        bench = Bench(stack)
        stamp = bench.deploy("stamp", "stamp", replicas=2, annotations={"oscar.concurrency": "4"})
        return measure_latency(bench, stamp, uploads=uploads, rate=rate)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=300)
    parser.add_argument("--rate", type=float, default=25.0)
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    results: list[tuple[str, Latency]] = []
    try:
        setups = [
            ("SQLite, 1 gateway", {}),
            ("PostgreSQL, 1 gateway", {"OSCAR_LEDGER_URL": server.create_database()}),
            (
                "PostgreSQL, 3 gateways",
                {"OSCAR_LEDGER_URL": server.create_database(), "OSCAR_GATEWAYS": "3"},
            ),
        ]
        for name, settings in setups:
            log.info("%s: %d uploads at %g/s", name, args.uploads, args.rate)
            results.append((name, measure(settings, uploads=args.uploads, rate=args.rate)))
    finally:
        server.remove()
    phases = [name for name, _ in PHASES]
    lines = [
        "## Ledger: upload to script start, SQLite and PostgreSQL",
        "",
        f"`python -m bench.ledger_latency --uploads {args.uploads} --rate {args.rate:g}`,"
        f" {datetime.now(UTC):%Y-%m-%d}, {machine()}, load {load_average():.1f} at the end."
        " Milliseconds after MinIO acknowledged the upload, p50 (p90), one stack per ledger.",
        "",
        "| ledger | " + " | ".join(phases) + " |",
        "|---|" + "---|" * len(phases),
    ]

    def ms(values: list[float], q: float) -> float:
        return percentile(values, q) * 1000

    def added(phase: str) -> str:
        base = ms(results[0][1].phases[phase], 0.5)
        return ", ".join(
            f"{name} {ms(lat.phases[phase], 0.5) - base:+.1f} ms" for name, lat in results[1:]
        )

    for name, latency in results:
        cells = [
            f"{ms(latency.phases[p], 0.5):.1f} ({ms(latency.phases[p], 0.9):.1f})" for p in phases
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Added by the ledger at p50 to script start, against SQLite: {added('script started')}"
        f"; to the job's dispatch (the ledger's own part, before OpenFaaS):"
        f" {added('job dispatched')}.",
    ]
    section = "\n".join(lines)
    print(section)
    report = Path(__file__).parent.parent / "docs" / "BENCHMARKS.md"
    write_section(report, section, name="ledger-latency")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How many events a gateway's ledger takes per second, SQLite against PostgreSQL, one gateway
against three on one PostgreSQL, measured side by side in one run.

    python -m bench.ledger_throughput [--events 3000] [--threads 8]

What is measured is the event path's ledger step, as `/events` runs it (`gateway.jobs.intake`):
one `add` transaction per event, from `--threads` request threads per gateway (its server runs 32),
plus the same events again (MinIO's retries: the dedup check). With `every`, each of three
gateways is told of every file, as the local stack's MinIO does with one webhook target per
gateway: each file is then 6 transactions, one of which makes its job. A "gateway" is a
process of its own with its own ledger (pool and all); HTTP parsing and the rest of the route
are the same for both backends and left out. PostgreSQL is a fresh Debian 15 server with its
default durability (fsync, synchronous_commit on); SQLite is the gateway's default (WAL,
synchronous=NORMAL: no fsync per commit, so the comparison flatters SQLite on durability).
Prints its section and rewrites it in docs/BENCHMARKS.md (between the ledger markers).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from bench.platform_stack import machine
from bench.report_file import write_section
from gateway.jobs.ledger import Ledger
from gateway.jobs.model import NewJob
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.postgres import PostgresServer

EVENT = '{"Records": [{"s3": {"object": {"key": "in/x"}}}]}'


def _open(target: str) -> Ledger:
    if target.startswith("postgresql://"):
        return PostgresLedger(target)
    return SqliteLedger(Path(target))


def _gateway(target: str, first: int, count: int, threads: int) -> tuple[float, float, list[float]]:
    """One gateway process: `count` new events then the same again; when it began and ended
    (wall clock, to add up the gateways' common span) and each add's seconds."""
    ledger = _open(target)
    jobs = [
        NewJob("svc", "bucket", f"in/{n}.txt", f"e{n}", EVENT, 3, time.time())
        for n in range(first, first + count)
    ]

    def add(job: NewJob) -> float:
        began = time.perf_counter()
        ledger.add([job])
        return time.perf_counter() - began

    began = time.time()
    with ThreadPoolExecutor(threads) as pool:
        seconds = list(pool.map(add, jobs + jobs))
    ended = time.time()
    ledger.close()
    return began, ended, seconds


def run(
    target: str, *, gateways: int, events: int, threads: int, every: bool = False
) -> dict[str, float]:
    """`events` files over `gateways`: shared out, or (`every`) all of them to each."""
    _open(target).close()  # migrated once, before the clock
    share = events if every else events // gateways
    with multiprocessing.get_context("spawn").Pool(gateways) as pool:
        results = pool.starmap(
            _gateway,
            [(target, 0 if every else g * share, share, threads) for g in range(gateways)],
        )
    wall = max(r[1] for r in results) - min(r[0] for r in results)
    seconds = sorted(s for r in results for s in r[2])
    return {
        "events_per_s": len(seconds) / wall,
        "files_per_s": (share if every else share * gateways) / wall,
        "p50_ms": statistics.median(seconds) * 1000,
        "p99_ms": seconds[int(len(seconds) * 0.99)] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    server = PostgresServer(durable=True)
    rows: list[tuple[str, dict[str, float]]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            setups = [
                ("SQLite, 1 gateway", str(Path(folder) / "ledger.db"), 1, False),
                ("PostgreSQL, 1 gateway", server.create_database(), 1, False),
                ("PostgreSQL, 3 gateways", server.create_database(), 3, False),
                (
                    "PostgreSQL, 3 gateways, each told of every file",
                    server.create_database(),
                    3,
                    True,
                ),
            ]
            for name, target, gateways, every in setups:
                rows.append(
                    (
                        name,
                        run(
                            target,
                            gateways=gateways,
                            events=args.events,
                            threads=args.threads,
                            every=every,
                        ),
                    )
                )
                print(name, rows[-1])
    finally:
        server.remove()
    base = rows[0][1]["events_per_s"]
    lines = [
        "## Ledger: events per second, SQLite and PostgreSQL",
        "",
        f"`python -m bench.ledger_throughput --events {args.events} --threads {args.threads}`,"
        f" {datetime.now(UTC):%Y-%m-%d}, {machine()}, load {os.getloadavg()[0]:.1f} at the end."
        " Each event is one ledger transaction (as `/events` makes), sent once new and once"
        " again (dedup); see the module's docstring for what is and is not counted.",
        "",
        "| ledger | events/s | vs SQLite | files/s | p50 per event | p99 |",
        "|---|---|---|---|---|---|",
        *(
            f"| {name} | {r['events_per_s']:.0f} | {r['events_per_s'] / base:.2f}x"
            f" | {r['files_per_s']:.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms |"
            for name, r in rows
        ),
    ]
    section = "\n".join(lines)
    print(section)
    write_section(Path(__file__).parent.parent / "docs" / "BENCHMARKS.md", section, name="ledger")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The ledger with a million jobs in it, SQLite and PostgreSQL side by side: the API's reads,
the event path's dedup check, the dispatcher's claim, the reconciler's pass over one
100,000-object prefix, and the retention pass: one batch, and an event while batches run.

    python -m bench.ledger_scale [--jobs 1000000] [--prefix 100000] [--repeat 50]

Jobs are spread over 10 services (one of them holds the `--prefix` objects of one bucket) and
the statuses a long-lived ledger has (mostly succeeded, some dead, a few queued and running),
written in bulk; then each read is timed `--repeat` times through the ledger itself. PostgreSQL
is a fresh Debian 15 server with its defaults, ANALYZEd after the load. Prints its section and
rewrites it in docs/BENCHMARKS.md (between the ledger-scale markers).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from bench.platform_stack import load_average, machine
from bench.report_file import write_section
from gateway.jobs.ledger import Ledger
from gateway.jobs.model import NewJob
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.postgres import PostgresServer

COLUMNS = (
    "id, service, bucket, key, etag, event, status, attempts, max_attempts, received_at,"
    " updated_at, next_attempt_at, finished_at"
)
EVENT = '{"Records": [{"eventName": "s3:ObjectCreated:Put"}]}'


def rows(jobs: int, prefix: int) -> Iterator[tuple[Any, ...]]:
    for n in range(jobs):
        big = n < prefix  # the reconciled prefix: service s0, bucket b0
        service = "s0" if big else f"s{1 + n % 9}"
        status = "dead" if n % 50 == 1 else "queued" if n % 997 == 2 else "succeeded"
        at = 1_700_000_000.0 + n
        yield (uuid.uuid4().hex, service, "b0" if big else "b1", f"in/{n:07d}.txt", f"e{n}")
        yield (EVENT, status, 1, 3, at, at, at, at if status != "queued" else None)


def paired(jobs: int, prefix: int) -> Iterator[tuple[Any, ...]]:
    it = rows(jobs, prefix)
    for head in it:
        yield head + next(it)


def fill_sqlite(path: Path, jobs: int, prefix: int) -> None:

    SqliteLedger(path).close()  # the schema
    db = sqlite3.connect(path)
    marks = ", ".join("?" * 13)
    db.executemany(f"INSERT INTO jobs ({COLUMNS}) VALUES ({marks})", paired(jobs, prefix))
    db.commit()
    db.execute("ANALYZE")
    db.close()


def fill_postgres(url: str, jobs: int, prefix: int) -> None:
    PostgresLedger(url).close()  # the schema
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(f"COPY jobs ({COLUMNS}) FROM STDIN") as copy:
            for row in paired(jobs, prefix):
                copy.write_row(row)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE jobs")


def timed(call: Callable[[], object], repeat: int) -> float:
    seconds = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - began)
    return statistics.median(seconds) * 1000


def measure(ledger: Ledger, repeat: int, jobs: int, prefix: int) -> dict[str, float]:
    some = ledger.page("s3", status=None, limit=1, offset=0)[0].id
    fresh = iter(range(10**9))

    def new_event() -> None:
        n = next(fresh)
        ledger.add([NewJob("s4", "b1", f"in/new-{n}.txt", f"n{n}", EVENT, 3, time.time())])

    def replayed_event() -> None:
        ledger.add([NewJob("s4", "b1", f"in/{jobs - 5:07d}.txt", "x", EVENT, 3, time.time())])

    def while_pruning() -> float:
        """An event's median while the retention pass prunes batch after batch."""
        stop = threading.Event()

        def prune() -> None:
            while not stop.is_set() and ledger.prune(time.time(), now=time.time()):
                pass

        pruner = threading.Thread(target=prune)
        pruner.start()
        try:
            return timed(new_event, repeat)
        finally:
            stop.set()
            pruner.join()

    claimed = {"s0": 0, "s1": 0}

    def claim(service: str, size: int) -> None:
        """The dispatcher's claim with one slot free (its jobs stay running)."""
        claimed[service] += 1
        ledger.claim_batches(
            service, size=size, now=time.time(), timeout=30, concurrency=claimed[service]
        )

    return {
        "a page of a service's jobs (50, newest)": timed(
            lambda: ledger.page("s3", status=None, limit=50, offset=0), repeat
        ),
        "a page of its dead letters": timed(
            lambda: ledger.page("s3", status="dead", limit=50, offset=0), repeat
        ),
        "its total": timed(lambda: ledger.total("s3", status=None), repeat),
        "counts by service and status (all jobs)": timed(ledger.counts, max(3, repeat // 10)),
        "one job's detail (job + attempts)": timed(
            lambda: (ledger.get(some), ledger.attempts(some)), repeat
        ),
        "an event: new job": timed(new_event, repeat),
        "an event: dedup check, replayed": timed(replayed_event, repeat),
        f"a claim: one job of a service of {prefix:,}": timed(lambda: claim("s0", 1), repeat),
        "a claim: a batch of 10 jobs": timed(lambda: claim("s1", 10), max(3, repeat // 10)),
        f"reconciler: identities of the {prefix:,}-object prefix": timed(
            lambda: ledger.keys("s0", "b0"), max(3, repeat // 10)
        ),
        "retention: one batch (500 jobs stripped)": timed(
            lambda: ledger.prune(time.time(), now=time.time()), repeat
        ),
        "an event: new job, while batches are pruned": while_pruning(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--prefix", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    fill: dict[str, float] = {}
    server = PostgresServer(durable=True)
    try:
        with tempfile.TemporaryDirectory(dir="/var/tmp") as folder:
            began = time.monotonic()
            fill_sqlite(Path(folder) / "ledger.db", args.jobs, args.prefix)
            sqlite = SqliteLedger(Path(folder) / "ledger.db")
            sqlite.counts()  # the triggers' changes of the load, folded once
            fill["SQLite"] = time.monotonic() - began
            results["SQLite"] = measure(sqlite, args.repeat, args.jobs, args.prefix)
            sqlite.close()
        url = server.create_database()
        began = time.monotonic()
        fill_postgres(url, args.jobs, args.prefix)
        postgres = PostgresLedger(url)
        postgres.counts()
        with psycopg.connect(url, autocommit=True) as conn:  # as autovacuum would, in a minute
            conn.execute("VACUUM job_count_changes")
        fill["PostgreSQL"] = time.monotonic() - began
        results["PostgreSQL"] = measure(postgres, args.repeat, args.jobs, args.prefix)
        postgres.close()
    finally:
        server.remove()
    lines = [
        "## Ledger: a million jobs",
        "",
        f"`python -m bench.ledger_scale --jobs {args.jobs} --prefix {args.prefix}"
        f" --repeat {args.repeat}`, {datetime.now(UTC):%Y-%m-%d}, {machine()}, load"
        f" {load_average():.1f} at the end. Median milliseconds through the ledger's own calls;"
        f" loading took {fill['SQLite']:.0f} s (SQLite) and {fill['PostgreSQL']:.0f} s"
        " (PostgreSQL, COPY), with the counters' first fold. Target: 20 ms for the API's reads"
        " and the event path.",
        "",
        "| read | SQLite | PostgreSQL |",
        "|---|---|---|",
        *(
            f"| {name} | {results['SQLite'][name]:.2f} | {results['PostgreSQL'][name]:.2f} |"
            for name in results["SQLite"]
        ),
    ]
    section = "\n".join(lines)
    print(section)
    report = Path(__file__).parent.parent / "docs" / "BENCHMARKS.md"
    write_section(report, section, name="ledger-scale")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

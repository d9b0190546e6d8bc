"""A ledger written before schema versions existed is brought up to date at start, its jobs
intact (SQLite: the only backend that had such ledgers); one of version 3 gets the counters of
version 4 with its jobs already counted (both backends)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg

from gateway.jobs.counters import POSTGRESQL, SQLITE
from gateway.jobs.ledger import Ledger
from gateway.jobs.migrations import LATEST, statements
from gateway.jobs.model import JobStatus
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.ledger_claims import claim
from tests.support.postgres import PostgresServer

JOB = (
    "INSERT INTO jobs (id, service, bucket, key, etag, event, status, max_attempts,"
    " received_at, updated_at, next_attempt_at) VALUES"
    " ('{id}', '{service}', 'b', 'in/{id}', 'e1', '{{}}', '{status}', 3, 1.0, 1.0, 1.0)"
)
OLD_JOBS = [("j1", "svc", "queued"), ("j2", "svc", "queued"), ("j3", "svc", "dead")]
OLD_JOBS += [("j4", "other", "succeeded")]


def test_a_ledger_from_before_versions_is_migrated_with_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    old = sqlite3.connect(path)
    for statement in statements(1, SQLITE):  # what every gateway before versions created
        assert isinstance(statement, str)
        old.execute(statement)
    old.execute(
        "INSERT INTO jobs (id, service, bucket, key, etag, event, status, max_attempts,"
        " received_at, updated_at, next_attempt_at) VALUES"
        " ('j1', 'svc', 'b', 'in/a', 'e1', '{}', 'queued', 3, 1.0, 1.0, 1.0)"
    )
    old.commit()
    old.close()

    ledger = SqliteLedger(path)

    assert ledger.get("j1") is not None
    [claimed] = claim(ledger, "svc", limit=1, now=2.0, timeout=30)  # uses migration 2's columns
    assert claimed.status == JobStatus.RUNNING
    ledger.close()
    reader = sqlite3.connect(path)
    version = reader.execute("SELECT version FROM schema_version").fetchall()
    reader.close()
    assert version == [(LATEST,)]


def _version_3(dialect: str) -> list[str]:
    """The statements that leave a ledger as a gateway of schema version 3 left it, with jobs."""
    steps = [s for number in (1, 2, 3) for s in statements(number, dialect) if isinstance(s, str)]
    steps += ["CREATE TABLE schema_version (version INTEGER NOT NULL)"]
    steps += ["INSERT INTO schema_version (version) VALUES (3)"]
    return steps + [JOB.format(id=i, service=s, status=st) for i, s, st in OLD_JOBS]


def _counted_after_more_work(ledger: Ledger) -> dict[tuple[str, str], int]:
    [job] = claim(ledger, "svc", limit=1, now=2.0, timeout=30)
    assert job.id in {"j1", "j2"}
    return ledger.counts()


EXPECTED = {("svc", "queued"): 1, ("svc", "running"): 1, ("svc", "dead"): 1}
EXPECTED |= {("other", "succeeded"): 1}


def test_a_version_3_sqlite_ledger_gets_counters_that_count_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    old = sqlite3.connect(path)
    for statement in _version_3(SQLITE):
        old.execute(statement)
    old.commit()
    old.close()

    ledger = SqliteLedger(path)
    try:
        assert _counted_after_more_work(ledger) == EXPECTED
    finally:
        ledger.close()


def test_a_version_3_postgresql_ledger_gets_counters_that_count_its_jobs(
    postgres: PostgresServer,
) -> None:
    url = postgres.create_database()
    with psycopg.connect(url) as old:
        for statement in _version_3(POSTGRESQL):
            old.execute(statement.encode())
    ledger = PostgresLedger(url)
    try:
        assert _counted_after_more_work(ledger) == EXPECTED
    finally:
        ledger.close()

"""A ledger written before schema versions existed is brought up to date at start, its jobs
intact (SQLite: the only backend that had such ledgers)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from gateway.jobs.migrations import LATEST, MIGRATIONS
from gateway.jobs.model import JobStatus
from gateway.jobs.sqlite_ledger import SqliteLedger


def test_a_ledger_from_before_versions_is_migrated_with_its_jobs(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    old = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:  # what every gateway before versions created
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
    [claimed] = ledger.claim("svc", limit=1, now=2.0, timeout=30)  # uses migration 2's columns
    assert claimed.status == JobStatus.RUNNING
    ledger.close()
    reader = sqlite3.connect(path)
    version = reader.execute("SELECT version FROM schema_version").fetchall()
    reader.close()
    assert version == [(LATEST,)]

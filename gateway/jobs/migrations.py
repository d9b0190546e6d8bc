"""The ledger's schema, as numbered migrations that every backend runs at start.

Each migration is SQL that SQLite and PostgreSQL both read (`DOUBLE PRECISION` is a float on
both), or, where they differ (triggers), a function of the dialect that gives each its own. A
ledger records the last migration it ran in `schema_version`; at start a gateway runs
the ones after it, in one transaction each, and refuses a ledger whose version is newer than the
newest it knows (a newer gateway migrated it: running older code on it could corrupt it).

A ledger written before migrations existed has no `schema_version` table but has migration 1's
tables: migration 1 only creates what is missing, so it runs on it harmlessly.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.credentials import Sealer
from gateway.errors import LedgerError
from gateway.jobs import counters, postgres_claim, postgres_insert
from gateway.jobs.sql import Session

# A step is SQL, or Python for what SQL cannot do on both backends (sealing a token).
Step = str | Callable[[Session, Sealer | None], None]


def _seal_service_tokens(session: Session, sealer: Sealer | None) -> None:
    """Migration 6: each plaintext service token becomes its digest and a sealed copy."""
    rows = session.rows("SELECT service, token FROM service_tokens")
    if rows and sealer is None:
        raise LedgerError(
            f"the ledger holds {len(rows)} plaintext service tokens that this migration seals,"
            " and it was opened without the sealing key: open it from the gateway (which has"
            " its callback key), not from a tool"
        )
    for row in rows:
        assert sealer is not None
        name = f"service/{row['service']}"
        sealed = sealer.credential(name, str(row["token"]), shown=True)
        session.run(
            "INSERT INTO credentials (name, digest, sealed) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (name, sealed.digest, sealed.sealed),
        )


Migration = tuple[Step, ...] | Callable[[str], tuple[Step, ...]]
MIGRATIONS: tuple[Migration, ...] = (
    # 1: jobs, their attempts and the service tokens.
    (
        """CREATE TABLE IF NOT EXISTS jobs (
            id TEXT PRIMARY KEY,
            service TEXT NOT NULL,
            bucket TEXT NOT NULL,
            key TEXT NOT NULL,
            etag TEXT NOT NULL,
            event TEXT NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            max_attempts INTEGER NOT NULL,
            received_at DOUBLE PRECISION NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL,
            next_attempt_at DOUBLE PRECISION NOT NULL,
            call_id TEXT NOT NULL DEFAULT '',
            dispatched_at DOUBLE PRECISION,
            started_at DOUBLE PRECISION,
            finished_at DOUBLE PRECISION,
            deadline_at DOUBLE PRECISION,
            duration_seconds DOUBLE PRECISION,
            outputs TEXT NOT NULL DEFAULT '[]',
            log_tail TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            UNIQUE (service, bucket, key, etag)
        )""",
        "CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS jobs_service ON jobs (service, status, received_at)",
        """CREATE TABLE IF NOT EXISTS service_tokens (
            service TEXT PRIMARY KEY,
            token TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS attempts (
            job_id TEXT NOT NULL,
            number INTEGER NOT NULL,
            call_id TEXT NOT NULL,
            dispatched_at DOUBLE PRECISION NOT NULL,
            finished_at DOUBLE PRECISION,
            outcome TEXT NOT NULL DEFAULT 'running',
            http_status INTEGER,
            duration_seconds DOUBLE PRECISION,
            error TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (job_id, number)
        )""",
    ),
    # 2: the claim's lease. A claimed attempt not yet handed to OpenFaaS belongs to the replica
    # that claimed it until `lease_until`; past it (that replica died), any replica requeues it.
    (
        "ALTER TABLE jobs ADD COLUMN claimed_by TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE jobs ADD COLUMN lease_until DOUBLE PRECISION",
        "CREATE INDEX IF NOT EXISTS jobs_running ON jobs (status, service)",
    ),
    # 3: retention. A pruned job keeps its row (its identity, so neither MinIO's replay nor the
    # reconciler runs its object again) without its event, log tail, outputs and attempts.
    (
        "ALTER TABLE jobs ADD COLUMN pruned_at DOUBLE PRECISION",
        "CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (status, finished_at)",
        # A page of a service's jobs of any status, newest first, without sorting them all.
        "CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (service, received_at, id)",
    ),
    # 4: the counts by service and status kept by triggers (gateway/jobs/counters.py).
    counters.migration,
    # 5: the jobs retention has yet to strip, by age: a batch no longer walks past every job
    # stripped before it (jobs_finished holds them all, and pruned rows stay for ever).
    (
        "CREATE INDEX IF NOT EXISTS jobs_prunable ON jobs (finished_at)"
        " WHERE status='succeeded' AND pruned_at IS NULL",
    ),
    # 6: credentials at rest (gateway.credentials): tokens as digests, service tokens also
    # sealed, a rotated token's digest kept until its grace ends; plaintext tokens converted.
    (
        """CREATE TABLE IF NOT EXISTS credentials (
            name TEXT PRIMARY KEY,
            digest TEXT NOT NULL,
            sealed TEXT NOT NULL DEFAULT '',
            previous_digest TEXT NOT NULL DEFAULT '',
            previous_until DOUBLE PRECISION,
            rotated_at DOUBLE PRECISION
        )""",
        _seal_service_tokens,
        "DROP TABLE service_tokens",
    ),
    # 7: the keys of other S3 endpoints that FDL storage providers name, by host:port.
    (
        """CREATE TABLE IF NOT EXISTS storage_endpoints (
            netloc TEXT PRIMARY KEY,
            url TEXT NOT NULL,
            region TEXT NOT NULL,
            access_key TEXT NOT NULL,
            secret_key TEXT NOT NULL
        )""",
    ),
    # 8: PostgreSQL's claim as a function, one round trip a claim (gateway/jobs/postgres_claim.py).
    postgres_claim.migration,
    # 9: PostgreSQL's insert as a function that also claims a new job of an idle service, one
    # round trip from the event to the send (gateway/jobs/postgres_insert.py).
    postgres_insert.migration,
)
LATEST = len(MIGRATIONS)
VERSION_TABLE = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"


def pending(found: int, *, where: str) -> range:
    """The numbers (1-based) of the migrations to run on a ledger at version `found`."""
    if found > LATEST:
        raise LedgerError(
            f"the ledger at {where} has schema version {found}, newer than this gateway knows"
            f" (up to {LATEST}): a newer gateway migrated it. Run that gateway version (or"
            " newer) on this ledger, or point this one at another ledger"
        )
    return range(found + 1, LATEST + 1)


def statements(number: int, dialect: str) -> tuple[Step, ...]:
    migration = MIGRATIONS[number - 1]
    return migration if isinstance(migration, tuple) else migration(dialect)


def migrate(session: Session, *, where: str, dialect: str, sealer: Sealer | None = None) -> int:
    """Bring the ledger to `LATEST` within `session`'s transaction; returns the version found.
    `dialect`: `counters.SQLITE` or `counters.POSTGRESQL`; `sealer`: the gateway's, for a step
    that seals tokens (a fresh ledger needs none)."""
    session.run(VERSION_TABLE)
    row = session.one("SELECT MAX(version) AS v FROM schema_version")
    found = int(row["v"]) if row and row["v"] is not None else 0
    steps = pending(found, where=where)
    for number in steps:
        for step in statements(number, dialect):
            if isinstance(step, str):
                session.run(step)
            else:
                step(session, sealer)
    if steps:
        session.run("DELETE FROM schema_version")
        session.run("INSERT INTO schema_version (version) VALUES (?)", (LATEST,))
    return found

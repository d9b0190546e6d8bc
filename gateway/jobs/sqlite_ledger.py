"""The ledger on SQLite in WAL mode (the embedded default), behind `gateway.jobs.ledger.Ledger`.

Every state change is one transaction; a job is written before MinIO gets its 2xx, so a killed
gateway loses nothing it acknowledged. WAL with synchronous=NORMAL survives a process crash
(what the reliability tests do to the gateway); FULL would also survive power loss, at a cost
on every event, and can be chosen with LEDGER_SYNCHRONOUS=FULL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.jobs.ledger_rows import SCHEMA, attempt_from_row, job_from_row
from gateway.jobs.model import Attempt, AttemptResult, Job, JobStatus, NewJob, after_attempt


class SqliteLedger:
    def __init__(self, path: Path, *, synchronous: str = "NORMAL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._tokens: dict[str, str] = {}
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        self._db.executescript(SCHEMA)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, jobs: Iterable[NewJob]) -> list[tuple[Job, bool]]:
        """Insert each job unless its identity exists; returns (job, created) in order."""
        results: list[tuple[Job, bool]] = []
        with self._tx() as db:
            for new in jobs:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO jobs (id, service, bucket, key, etag, event, status,"
                    " max_attempts, received_at, updated_at, next_attempt_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        uuid.uuid4().hex,
                        new.service,
                        new.bucket,
                        new.key,
                        new.etag,
                        new.event,
                        JobStatus.QUEUED,
                        new.max_attempts,
                        new.received_at,
                        new.received_at,
                        new.received_at,
                    ),
                )
                row = db.execute(
                    "SELECT * FROM jobs WHERE service=? AND bucket=? AND key=? AND etag=?",
                    (new.service, new.bucket, new.key, new.etag),
                ).fetchone()
                results.append((job_from_row(row), cursor.rowcount == 1))
        return results

    def claim(self, service: str, *, limit: int, now: float, timeout: float) -> list[Job]:
        """Mark up to `limit` due queued jobs of `service` running, each with a new call id."""
        if limit <= 0:
            return []
        claimed: list[Job] = []
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, attempts FROM jobs WHERE service=? AND status=? AND next_attempt_at<=?"
                " ORDER BY next_attempt_at, received_at LIMIT ?",
                (service, JobStatus.QUEUED, now, limit),
            ).fetchall()
            for row in rows:
                call_id = uuid.uuid4().hex
                number = row["attempts"] + 1
                db.execute(
                    "UPDATE jobs SET status=?, attempts=?, call_id=?, dispatched_at=?,"
                    " started_at=NULL, deadline_at=?, updated_at=? WHERE id=?",
                    (JobStatus.RUNNING, number, call_id, now, now + timeout, now, row["id"]),
                )
                # The history's own numbering: a requeued dead letter starts its attempts
                # from 0 again, and must not overwrite the attempts it already had.
                db.execute(
                    "INSERT INTO attempts (job_id, number, call_id, dispatched_at)"
                    " SELECT ?, COALESCE(MAX(number), 0) + 1, ?, ? FROM attempts WHERE job_id=?",
                    (row["id"], call_id, now, row["id"]),
                )
                claimed.append(
                    job_from_row(
                        db.execute("SELECT * FROM jobs WHERE id=?", (row["id"],)).fetchone()
                    )
                )
        return claimed

    def mark_started(self, job_id: str, call_id: str, now: float) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE jobs SET started_at=? WHERE id=? AND call_id=? AND status=?",
                (now, job_id, call_id, JobStatus.RUNNING),
            )

    def finish(
        self,
        job_id: str,
        call_id: str,
        result: AttemptResult,
        *,
        retry_at: float | None,
        now: float,
    ) -> Job | None:
        """Record an attempt's end; None when the call id is not the job's current attempt."""
        with self._tx() as db:
            row = db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
            if row is None or row["call_id"] != call_id or row["status"] != JobStatus.RUNNING:
                return None
            status = after_attempt(
                result,
                attempts=row["attempts"],
                max_attempts=row["max_attempts"],
                retry_at=retry_at,
            )
            next_at = retry_at if status == JobStatus.QUEUED else row["next_attempt_at"]
            db.execute(
                "UPDATE jobs SET status=?, next_attempt_at=?, finished_at=?, updated_at=?,"
                " duration_seconds=?, outputs=?, log_tail=?, error=?, deadline_at=NULL"
                " WHERE id=?",
                (
                    status,
                    next_at,
                    now if status in {JobStatus.SUCCEEDED, JobStatus.DEAD} else None,
                    now,
                    result.duration,
                    json.dumps(result.outputs),
                    result.log_tail,
                    result.error,
                    job_id,
                ),
            )
            db.execute(
                "UPDATE attempts SET finished_at=?, outcome=?, http_status=?, duration_seconds=?,"
                " error=? WHERE job_id=? AND call_id=?",
                (
                    now,
                    "succeeded" if result.succeeded else "failed",
                    result.http_status,
                    result.duration,
                    result.error,
                    job_id,
                    call_id,
                ),
            )
            return job_from_row(db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone())

    def overdue(self, now: float) -> list[Job]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM jobs WHERE status=? AND deadline_at<?", (JobStatus.RUNNING, now)
            ).fetchall()
        return [job_from_row(r) for r in rows]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM jobs WHERE id=?", (job_id,)).fetchone()
        return job_from_row(row) if row else None

    def attempts(self, job_id: str) -> list[Attempt]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM attempts WHERE job_id=? ORDER BY number", (job_id,)
            ).fetchall()
        return [attempt_from_row(r) for r in rows]

    def page(self, service: str, *, status: str | None, limit: int, offset: int) -> list[Job]:
        query = "SELECT * FROM jobs WHERE service=?"
        args: list[Any] = [service]
        if status:
            query += " AND status=?"
            args.append(status)
        query += " ORDER BY received_at DESC, id LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(query, [*args, limit, offset]).fetchall()
        return [job_from_row(r) for r in rows]

    def total(self, service: str, *, status: str | None) -> int:
        query = "SELECT COUNT(*) AS n FROM jobs WHERE service=?"
        args: list[Any] = [service]
        if status:
            query += " AND status=?"
            args.append(status)
        with self._lock:
            row = self._db.execute(query, args).fetchone()
        return int(row["n"])

    def counts(self) -> dict[tuple[str, str], int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT service, status, COUNT(*) AS n FROM jobs GROUP BY service, status"
            ).fetchall()
        return {(r["service"], r["status"]): r["n"] for r in rows}

    def running(self, service: str) -> int:
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) AS n FROM jobs WHERE service=? AND status=?",
                (service, JobStatus.RUNNING),
            ).fetchone()
        return int(row["n"])

    def next_due(self) -> float | None:
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(next_attempt_at) AS t FROM jobs WHERE status=?", (JobStatus.QUEUED,)
            ).fetchone()
            deadline = self._db.execute(
                "SELECT MIN(deadline_at) AS t FROM jobs WHERE status=?", (JobStatus.RUNNING,)
            ).fetchone()
        times = [t for t in (row["t"], deadline["t"]) if t is not None]
        return min(times) if times else None

    def services_with_due(self, now: float) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT service FROM jobs WHERE status=? AND next_attempt_at<=?",
                (JobStatus.QUEUED, now),
            ).fetchall()
        return [r["service"] for r in rows]

    def requeue_dead(self, service: str, now: float, *, job_id: str | None = None) -> int:
        """Every dead letter of the service queued again (only `job_id`'s, when given)."""
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE jobs SET status=?, attempts=0, next_attempt_at=?, updated_at=?,"
                " finished_at=NULL WHERE service=? AND status=? AND (? IS NULL OR id=?)",
                (JobStatus.QUEUED, now, now, service, JobStatus.DEAD, job_id, job_id),
            )
            return cursor.rowcount

    def keys(self, service: str, bucket: str) -> set[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key, etag FROM jobs WHERE service=? AND bucket=?", (service, bucket)
            ).fetchall()
        return {(r["key"], r["etag"]) for r in rows}

    def service_token(self, service: str, new: str) -> str:
        """The service's token: `new` the first time, the same one ever after (across updates).

        Read on every `/run` call: once known, a token comes from memory (it never changes), not
        from a write transaction that would queue behind the dispatcher's.
        """
        known = self._tokens.get(service)
        if known is not None:
            return known
        with self._tx() as db:
            db.execute(
                "INSERT OR IGNORE INTO service_tokens (service, token) VALUES (?, ?)",
                (service, new),
            )
            row = db.execute(
                "SELECT token FROM service_tokens WHERE service=?", (service,)
            ).fetchone()
        token = self._tokens[service] = str(row["token"])
        return token

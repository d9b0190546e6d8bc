"""The ledger's logic on any SQL database (`gateway.jobs.sql.Database`): SQLite embedded, or
PostgreSQL shared by several gateways.

Every state change is one transaction; a job is written before MinIO gets its 2xx, so a killed
gateway loses nothing it acknowledged. With several replicas on one database, a claim takes
rows under lock (each attempt is sent by one replica), a service's claims are serialised so its
concurrency holds across replicas, and a claim is leased: an attempt its replica did not hand
to OpenFaaS within the lease (that replica died) is queued again by any other one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping

from gateway.jobs import counters
from gateway.jobs.ledger_rows import job_from_row
from gateway.jobs.model import AttemptResult, ClaimTerms, Job, JobStatus, NewJob
from gateway.jobs.retention import strip_batch
from gateway.jobs.sql import Database, Row, Session
from gateway.jobs.sql_batches import SqlBatches, finish_row
from gateway.jobs.sql_credentials import SqlCredentials
from gateway.jobs.sql_endpoints import SqlEndpoints

LEASE_SECONDS = 30.0
RUNNING, QUEUED, DEAD = JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.DEAD
SUCCEEDED, REMOVED = JobStatus.SUCCEEDED, JobStatus.REMOVED


def identity(job: NewJob) -> tuple[str, str, str, str]:
    return (job.service, job.bucket, job.key, job.etag)


class SqlLedger(SqlEndpoints, SqlBatches, SqlCredentials):
    def __init__(self, db: Database, *, lease: float = LEASE_SECONDS, replica: str = "") -> None:
        super().__init__(db)
        self._lease = lease
        self._replica = replica or uuid.uuid4().hex[:12]

    def close(self) -> None:
        self._db.close()

    def ping(self) -> None:
        """Raises `LedgerUnavailable` when the database does not answer."""
        self._db.ping()

    def leads(self, role: str) -> bool:
        return self._db.leads(role)

    def add(
        self,
        jobs: Iterable[NewJob],
        *,
        visible: Callable[[list[Job]], None] | None = None,
        claim: Mapping[str, ClaimTerms] | None = None,
    ) -> list[tuple[Job, bool]]:
        """Insert each job unless its identity exists; returns (job, created) in order, once
        the new jobs are durable. `visible` is called with the new jobs as soon as other
        connections see them, which may be before they are on disk: the dispatcher sends or
        claims them while the commit is flushed, instead of after. With `claim`, a new job of
        a service named there is claimed by its own insert when the service is idle (its
        `ClaimTerms`): it comes back running, its attempt leased to this replica as the
        dispatcher's claim would lease it, and the claim's round trip is saved."""
        results = self._insert(jobs, claim or {})
        created = [job for job, made in results if made]
        if created:
            if visible is not None:
                visible(created)
            self._db.flush()
        return results

    def _insert(
        self, jobs: Iterable[NewJob], claim: Mapping[str, ClaimTerms]
    ) -> list[tuple[Job, bool]]:
        listed = list(jobs)
        # In one order of identities on every replica: two gateways told of the same objects
        # wait for each other's inserts one way round, never both ways (a deadlock).
        order = sorted(range(len(listed)), key=lambda i: identity(listed[i]))
        results: dict[int, tuple[Job, bool]] = {}
        with self._db.write() as db:
            self._db.unsynced(db)  # made durable by `add`'s flush, before it returns
            for index in order:
                new = listed[index]
                inserted = db.one(
                    "INSERT INTO jobs (id, service, bucket, key, etag, event, status,"
                    " max_attempts, received_at, updated_at, next_attempt_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *",
                    (
                        uuid.uuid4().hex,
                        *(new.service, new.bucket, new.key, new.etag, new.event),
                        QUEUED,
                        new.max_attempts,
                        *(new.received_at, new.received_at, new.received_at),
                    ),
                )
                if inserted is not None:
                    terms = claim.get(new.service)
                    made = self.claim_new(db, inserted, terms) if terms else None
                    results[index] = (made or job_from_row(inserted), True)
                    continue
                row = db.one(
                    "SELECT * FROM jobs WHERE service=? AND bucket=? AND key=? AND etag=?",
                    (new.service, new.bucket, new.key, new.etag),
                )
                assert row is not None  # there before: the identity is unique
                results[index] = (job_from_row(row), False)
        return [results[i] for i in range(len(listed))]

    def mark_sent(self, job_id: str, call_id: str) -> None:
        """OpenFaaS has the attempt: its lease ends (its deadline alone governs it now)."""
        with self._db.write() as db:
            db.run(
                "UPDATE jobs SET lease_until=NULL WHERE id=? AND call_id=? AND status=?",
                (job_id, call_id, RUNNING),
            )

    def release_expired(self, now: float) -> int:
        """Queue again, without counting it, each attempt whose lease ran out before it was
        sent (its replica died between claim and send); returns how many."""
        with self._db.write() as db:
            expired = "SELECT id, call_id, claimed_by FROM jobs WHERE status=? AND lease_until<?"
            rows = db.rows(expired + self._db.claim_rows, (RUNNING, now))
            for row in rows:
                _abandon(db, row, now, f"replica {row['claimed_by']} claimed it, never sent it")
        return len(rows)

    def release_own(self, now: float) -> int:
        """At start, before any claim of its own: queue again at once, without counting it,
        each attempt this gateway claimed under its name (`OSCAR_GATEWAY_NAME`) in an earlier
        life and never sent (killed between claim and send), rather than after its lease;
        returns how many. With a random name (none set) there are none."""
        with self._db.write() as db:
            own = (
                "SELECT id, call_id FROM jobs WHERE status=? AND lease_until IS NOT NULL"
                " AND claimed_by=?"
            )
            rows = db.rows(own + self._db.claim_rows, (RUNNING, self._replica))
            for row in rows:
                why = f"replica {self._replica} claimed it, was restarted before sending it"
                _abandon(db, row, now, why)
        return len(rows)

    def mark_started(self, job_id: str, call_id: str, now: float) -> None:
        with self._db.write() as db:
            db.run(
                "UPDATE jobs SET started_at=? WHERE id=? AND call_id=? AND status=?",
                (now, job_id, call_id, RUNNING),
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
        with self._db.write() as db:
            lock = self._db.lock_row
            row = db.one("SELECT * FROM jobs WHERE id=?" + lock, (job_id,))  # noqa: S608
            if row is None or row["call_id"] != call_id or row["status"] != RUNNING:
                return None
            return finish_row(db, row, call_id, result, retry_at=retry_at, now=now)

    def requeue_dead(self, service: str, now: float, *, job_id: str | None = None) -> int:
        """Every dead letter of the service queued again (only `job_id`'s, when given)."""
        query = (
            "UPDATE jobs SET status=?, attempts=0, next_attempt_at=?, updated_at=?,"
            " finished_at=NULL WHERE service=? AND status=?"
        )
        args: tuple[object, ...] = (QUEUED, now, now, service, DEAD)
        if job_id is not None:
            query, args = query + " AND id=?", (*args, job_id)
        with self._db.write() as db:
            return db.run(query, args)

    def prune(self, before: float, *, now: float, batch: int = 500) -> int:
        """Strip up to `batch` jobs that succeeded before `before` down to their identity (their
        row, for dedup) and drop their attempts; returns how many. Dead letters are kept whole.
        One short transaction per batch, so the event path waits at most for one batch. The
        job counters' changes are folded here too (a pass every reconciler interval), so they
        stay few when nobody reads /metrics."""
        with self._db.write() as db:
            self._db.serialise(db, counters.FOLD_LOCK)
            counters.fold(db, self._db.dialect)
            return strip_batch(db, before=before, now=now, batch=batch, lock=self._db.claim_rows)

    def remove(
        self, service: str, *, now: float, job_id: str | None = None, every: bool = False
    ) -> int:
        """Remove the service's succeeded jobs (with `every`, its jobs in any state; with
        `job_id`, that one job in any state) down to their identity; returns how many. A queued
        job is then never claimed and a running one's callback settles nothing."""
        where, args = "service=? AND status<>?", [service, REMOVED]
        if job_id is not None:
            where, args = where + " AND id=?", [*args, job_id]
        elif not every:
            where, args = where + " AND status=?", [*args, SUCCEEDED]
        update = (
            "UPDATE jobs SET status=?, event='', log_tail='', outputs='[]', error='',"  # noqa: S608
            " call_id='', deadline_at=NULL, lease_until=NULL, updated_at=?, pruned_at=?"
            f" WHERE {where} RETURNING id"  # constant fragments: no input is in the text
        )
        with self._db.write() as db:
            rows = db.rows(update, [REMOVED, now, now, *args])
            for row in rows:
                db.run("DELETE FROM attempts WHERE job_id=?", (row["id"],))
        return len(rows)


def _abandon(db: Session, row: Row, now: float, why: str) -> None:
    """A claimed attempt that was never sent: its job queued again, the attempt not counted."""
    db.run(
        "UPDATE jobs SET status=?, attempts=attempts-1, next_attempt_at=?,"
        " updated_at=?, deadline_at=NULL, lease_until=NULL WHERE id=?",
        (QUEUED, now, now, row["id"]),
    )
    db.run(
        "UPDATE attempts SET finished_at=?, outcome='abandoned', error=?"
        " WHERE job_id=? AND call_id=?",
        (now, why, row["id"], row["call_id"]),
    )

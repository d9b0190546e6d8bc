"""The ledger's writes for batches: several jobs claimed, sent and settled in one transaction.

A batch's jobs share one call id: it names the invocation that carries them, so a service's
concurrency counts invocations (`calls_running`), each job's attempt is still its own row, and
a callback settles each job only while that call is its current attempt. A batch of one is the
single job of old, to the byte. Settling reads, marks the start and finishes every job of a
callback in one transaction (a commit per callback, not three per job).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence

from gateway.jobs.ledger_rows import job_from_row
from gateway.jobs.model import AttemptResult, ClaimTerms, Job, JobStatus, after_attempt
from gateway.jobs.sql import Row, Session
from gateway.jobs.sql_reads import SqlReads

RUNNING, QUEUED, DEAD = JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.DEAD
Backoff = Callable[[int], float]  # attempts made so far -> seconds until the next one
# A batch's jobs may run one after another: its callback is waited for the service's timeout
# plus this for each job after the first. Batches are sized to run a few seconds in all
# (gateway.jobs.batching), so a lost callback is noticed about as soon as a single job's would
# be; a batch that runs far longer than its jobs took before has its late jobs retried (their
# late results are stale and ignored: at least once, never a result twice).
EXTRA_PER_JOB = 1.0


class SqlBatches(SqlReads):
    _lease: float
    _replica: str

    def calls_running(self, service: str) -> int:
        with self._db.read() as db:
            return calls_running(db, service)

    def due_summary(self, service: str, now: float) -> tuple[int, float | None]:
        """How many of `service`'s queued jobs are due, and since when the oldest is."""
        with self._db.read() as db:
            row = db.one(
                "SELECT COUNT(*) AS n, MIN(next_attempt_at) AS oldest FROM jobs"
                " WHERE service=? AND status=? AND next_attempt_at<=?",
                (service, QUEUED, now),
            )
        return (int(row["n"]), row["oldest"]) if row else (0, None)

    def claim_batches(
        self, service: str, *, size: int, now: float, timeout: float, concurrency: int
    ) -> list[list[Job]]:
        """Due queued jobs of `service` as batches: one per free slot of its `concurrency`
        (invocations running at once, counting every replica's), each of at most `size` jobs.
        Fewer due jobs than free slots go one per batch; a backlog is spread evenly."""
        with self._db.write() as db:
            self._db.serialise(db, f"claim:{service}")
            self._db.unsynced(db)  # lost in a database crash, a claim only sends a job again
            slots = concurrency - calls_running(db, service)
            if slots <= 0:
                return []
            due = (
                "SELECT id, attempts FROM jobs WHERE service=? AND status=? AND next_attempt_at<=?"
                " ORDER BY next_attempt_at, received_at LIMIT ?"
            )
            rows = db.rows(due + self._db.claim_rows, (service, QUEUED, now, slots * max(1, size)))
            groups = _spread(len(rows), slots)
            batches, start = [], 0
            for count in groups:
                members = rows[start : start + count]
                start += count
                call_id = uuid.uuid4().hex
                deadline = now + timeout + EXTRA_PER_JOB * (count - 1)
                batches.append(
                    [
                        self._claim(db, r["id"], r["attempts"], call_id, now, deadline)
                        for r in members
                    ]
                )
            return batches

    def claim_new(self, db: Session, row: Row, terms: ClaimTerms) -> Job | None:
        """The job just inserted in `db`'s transaction (`row`), claimed as a batch of one when
        its service is idle by `terms`, in the same transaction; None when it is not (a
        backlog, no free slot, a busy service that fills batches: the dispatcher claims it).
        The caller's write transaction excludes other writers (PostgreSQL claims its new jobs
        in `postgres_insert` instead, under the service's claim lock)."""
        service = row["service"]
        backlog = db.one(
            "SELECT 1 AS n FROM jobs WHERE service=? AND status=? AND next_attempt_at<=?"
            " AND id<>? LIMIT 1",
            (service, QUEUED, terms.now, row["id"]),
        )
        if backlog is not None:  # asked first: under a backlog, the one query an event adds
            return None
        running = calls_running(db, service)
        if running >= terms.concurrency or (terms.hold_when_busy and running > 0):
            return None
        deadline = terms.now + terms.timeout
        return self._claim(db, row["id"], 0, uuid.uuid4().hex, terms.now, deadline)

    def _claim(
        self, db: Session, job_id: str, attempts: int, call_id: str, now: float, deadline: float
    ) -> Job:
        row = db.one(
            "UPDATE jobs SET status=?, attempts=?, call_id=?, dispatched_at=?, started_at=NULL,"
            " deadline_at=?, updated_at=?, claimed_by=?, lease_until=? WHERE id=? RETURNING *",
            (RUNNING, attempts + 1, call_id, now, deadline, now, self._replica,
             now + self._lease, job_id),
        )  # fmt: skip
        db.run(
            "INSERT INTO attempts (job_id, number, call_id, dispatched_at)"
            " SELECT ?, COALESCE(MAX(number), 0) + 1, ?, ? FROM attempts WHERE job_id=?",
            (job_id, call_id, now, job_id),
        )
        assert row is not None  # locked by this transaction's claim
        return job_from_row(row)

    def mark_sent_many(self, job_ids: Sequence[str], call_id: str) -> None:
        """OpenFaaS has the invocation: its jobs' leases end, in one transaction."""
        with self._db.write() as db:
            for job_id in job_ids:
                db.run(
                    "UPDATE jobs SET lease_until=NULL WHERE id=? AND call_id=? AND status=?",
                    (job_id, call_id, RUNNING),
                )

    def settle_many(
        self,
        call_id: str,
        outcomes: Sequence[tuple[str, AttemptResult]],
        *,
        started_at: float | None,
        backoff: Backoff,
        now: float,
    ) -> tuple[list[Job], list[str]]:
        """Each job's attempt `call_id` ended as its outcome: (the jobs it finished, the ids of
        jobs that do not exist). A job whose current attempt is another call is left alone."""
        finished: list[Job] = []
        missing: list[str] = []
        with self._db.write() as db:
            for job_id, result in outcomes:
                row = db.one("SELECT * FROM jobs WHERE id=?" + self._db.lock_row, (job_id,))  # noqa: S608
                if row is None:
                    missing.append(job_id)
                    continue
                if row["call_id"] != call_id or row["status"] != RUNNING:
                    continue
                retry_at = now + backoff(row["attempts"]) if result.retryable else None
                if started_at is not None:
                    # Not before its dispatch: a clock apart, or a duration that says too much.
                    started = max(started_at, row["dispatched_at"] or 0.0)
                    db.run("UPDATE jobs SET started_at=? WHERE id=?", (started, job_id))
                finished.append(finish_row(db, row, call_id, result, retry_at=retry_at, now=now))
        return finished, missing


def calls_running(db: Session, service: str) -> int:
    """Invocations of `service` running: a batch's jobs share one call id."""
    row = db.one(
        "SELECT COUNT(DISTINCT call_id) AS n FROM jobs WHERE service=? AND status=?",
        (service, RUNNING),
    )
    return int(row["n"]) if row else 0


def finish_row(
    db: Session,
    row: Row,
    call_id: str,
    result: AttemptResult,
    *,
    retry_at: float | None,
    now: float,
) -> Job:
    """Record the end of the attempt `call_id` of the job in `row` (read under lock, running
    that attempt): the job's next state and the attempt's outcome."""
    fields = row
    status = after_attempt(
        result, attempts=fields["attempts"], max_attempts=fields["max_attempts"], retry_at=retry_at
    )
    updated = db.one(
        "UPDATE jobs SET status=?, next_attempt_at=?, finished_at=?, updated_at=?,"
        " duration_seconds=?, outputs=?, log_tail=?, error=?, deadline_at=NULL,"
        " lease_until=NULL WHERE id=? RETURNING *",
        (
            status,
            retry_at if status == QUEUED else fields["next_attempt_at"],
            now if status in {JobStatus.SUCCEEDED, DEAD} else None,
            now,
            result.duration,
            json.dumps(result.outputs),
            *(result.log_tail, result.error, fields["id"]),
        ),
    )
    db.run(
        "UPDATE attempts SET finished_at=?, outcome=?, http_status=?, duration_seconds=?,"
        " error=? WHERE job_id=? AND call_id=?",
        (
            now,
            "succeeded" if result.succeeded else "failed",
            result.http_status,
            result.duration,
            result.error,
            fields["id"],
            call_id,
        ),
    )
    assert updated is not None  # read under lock by the caller
    return job_from_row(updated)


def _spread(count: int, slots: int) -> list[int]:
    """`count` jobs over at most `slots` batches, as evenly as they go (9 over 4: 3, 2, 2, 2)."""
    batches = min(count, slots)
    if batches == 0:
        return []
    share, extra = divmod(count, batches)
    return [share + (1 if i < extra else 0) for i in range(batches)]

"""A job: one file for one service, and the rules of its life (the state machine).

    queued --dispatch--> running --callback ok--> succeeded
                            |--callback failed / no callback in time--> queued (retry, backoff)
                            '--...after the service's last attempt--> dead
    dead --requeue--> queued
    any --remove--> removed (hidden everywhere; the row stays as the identity)

A job's identity is (service, bucket, key, etag): the same object version arriving twice makes
no second job. Each attempt has its own call id; a callback that names an older attempt is stale
and changes nothing, so a result that already arrived is never run again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from contract.job import Job as SentJob


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"
    # Deleted by its user (OSCAR's DELETE /system/logs/...): no listing, count or lookup shows
    # it, no claim takes it, no callback settles it; its row stays so that its object, still in
    # the bucket, is not made a job again by the reconciler or a replayed event.
    REMOVED = "removed"


TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.DEAD})
LISTED = tuple(s for s in JobStatus if s != JobStatus.REMOVED)  # the states a reader can see


@dataclass(frozen=True)
class NewJob:
    service: str
    bucket: str
    key: str  # decoded
    etag: str  # the identity: version id, else etag (contract.records.Created.identity)
    event: str  # the MinIO event with this job's one record (contract.job.event_json)
    max_attempts: int
    received_at: float


@dataclass(frozen=True)
class ClaimTerms:
    """When a new job of a service may be claimed by the insert that makes it (the ledger's
    `add`), and how: only while the service is idle (no other job of it due, a free slot of
    its `concurrency`, and, with `hold_when_busy`, none of its invocations running, since a
    busy service with a batch window waits to fill a batch). `now` is the claim's time; the
    attempt's deadline is `now + timeout`, as the dispatcher's claim would set it."""

    now: float
    timeout: float
    concurrency: int
    hold_when_busy: bool = False


@dataclass(frozen=True)
class AttemptResult:
    """How one attempt ended, as its callback (or its absence) tells."""

    succeeded: bool
    http_status: int | None = None
    duration: float | None = None
    outputs: list[str] = field(default_factory=list)
    log_tail: str = ""
    error: str = ""
    retryable: bool = True


@dataclass(frozen=True)
class Attempt:
    number: int
    call_id: str
    dispatched_at: float
    finished_at: float | None
    outcome: str
    http_status: int | None
    duration_seconds: float | None
    error: str


@dataclass(frozen=True)
class Job:
    id: str
    service: str
    bucket: str
    key: str
    etag: str
    event: str
    status: JobStatus
    attempts: int
    max_attempts: int
    received_at: float
    updated_at: float
    next_attempt_at: float
    call_id: str
    dispatched_at: float | None
    started_at: float | None
    finished_at: float | None
    deadline_at: float | None
    duration_seconds: float | None
    outputs: list[str] = field(default_factory=list)
    log_tail: str = ""
    error: str = ""

    def sent(self, *, results_bucket: str = "") -> SentJob:
        """What the function receives for this attempt (`contract.job`): the stored event,
        which rows of every gateway version hold, with the job's own fields beside it (and
        where the function records the attempt's result, `contract.results`)."""
        return SentJob.from_stored(
            service=self.service,
            job_id=self.id,
            attempt=max(1, self.attempts),
            bucket=self.bucket,
            key=self.key,
            identity=self.etag,
            event=self.event,
            call_id=self.call_id,
            results_bucket=results_bucket,
        )


def after_attempt(
    result: AttemptResult, *, attempts: int, max_attempts: int, retry_at: float | None
) -> JobStatus:
    """Where a running job goes when an attempt ends: succeeded; queued again while attempts are
    left and the failure is worth a retry (`retry_at` given); else a dead letter."""
    if result.succeeded:
        return JobStatus.SUCCEEDED
    if retry_at is not None and attempts < max_attempts:
        return JobStatus.QUEUED
    return JobStatus.DEAD


def backoff_seconds(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff before attempt `attempt + 1`: base, 2*base, 4*base... up to cap."""
    return float(min(cap, base * 2 ** max(0, attempt - 1)))

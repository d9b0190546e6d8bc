"""Each attempt's result, recorded where a restarted gateway finds it (`contract.results`).

Per job, so that it composes with a body that carries several: `earlier_success` before the
script runs (a repeated delivery of a job that already succeeded does not run it again), then
`succeeded` or `failed` once it has run, before the answer goes back.

A record that cannot be written is logged and the answer goes out anyway: the callback still
carries the result, and only if both are lost does the attempt run again (at least once, as
before). A job whose earlier records cannot be read is not run: running it could repeat a
success, so the attempt fails as storage being unavailable (503) and is retried.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from contract.errors import BadRecord
from contract.job import JOB_FIELD, Job
from contract.results import FAILED, SUCCEEDED, AttemptRecord, result_key
from supervisor.errors import BadRequest, SupervisorError

log = logging.getLogger(__name__)


class RecordStore(Protocol):
    """What the book needs of storage (`supervisor.storage.MinioStorage` has it)."""

    def read_bytes(self, bucket: str, key: str) -> bytes | None: ...
    def write_bytes(self, bucket: str, key: str, data: bytes) -> None: ...


class Finished(Protocol):
    """A script's run that succeeded, as the book records it (`supervisor.job.ObjectResult`)."""

    @property
    def outputs(self) -> Sequence[str]: ...
    @property
    def duration_seconds(self) -> float: ...
    @property
    def exit_code(self) -> int | None: ...
    @property
    def log_tail(self) -> str: ...
    @property
    def repeat_of(self) -> int | None: ...


class ResultBook:
    def __init__(self, store: RecordStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock

    def earlier_success(self, job: Job) -> AttemptRecord | None:
        """The recorded success of an attempt of `job` up to this one (the latest), or None.

        One GET per attempt number, newest first (attempt 1: one GET), rather than a listing
        of the job's folder: MinIO lists a prefix more slowly as the bucket grows (1.4 ms, then
        3.1 ms after 200 more records, measured), a missing key answers in the same ~1.3 ms.
        A requeued dead letter numbers its attempts from 1 again, so a record numbered above
        the current attempt is not looked at: it is a failure, or its job would not be dead.
        """
        bucket = job.results_bucket
        for attempt in range(job.attempt, 0, -1):
            key = result_key(job.service, job.job_id, attempt)
            body = self._store.read_bytes(bucket, key)
            if body is None:
                continue
            try:
                record = AttemptRecord.from_json(body)
            except BadRecord as e:
                log.warning("result record %s/%s is unreadable, ignored: %s", bucket, key, e)
                continue
            if record.succeeded and record.job_id == job.job_id:
                return record
        return None

    def succeeded(self, job: Job, result: Finished) -> None:
        self._write(
            job,
            AttemptRecord(
                **_identity(job),
                status=SUCCEEDED,
                http_status=200,
                outputs=tuple(result.outputs),
                duration_seconds=result.duration_seconds,
                exit_code=result.exit_code,
                log_tail=result.log_tail,
                finished_at=self._clock(),
                repeat_of=result.repeat_of,
            ),
        )

    def failed(self, job: Job, error: SupervisorError, *, duration: float | None) -> None:
        payload = error.payload()
        exit_code = payload.get("exit_code")
        self._write(
            job,
            AttemptRecord(
                **_identity(job),
                status=FAILED,
                http_status=error.status,
                duration_seconds=duration,
                exit_code=exit_code if isinstance(exit_code, int) else None,
                log_tail=str(payload.get("log_tail") or ""),
                error=error.message,
                finished_at=self._clock(),
            ),
        )

    def _write(self, job: Job, record: AttemptRecord) -> None:
        try:
            self._store.write_bytes(job.results_bucket, record.key, record.to_json())
        except SupervisorError as e:
            log.warning(
                "the result of job %s attempt %d was not recorded, only its callback carries "
                "it: %s",
                job.job_id,
                job.attempt,
                e.message,
            )


def recordable(job: Job) -> bool:
    """Whether the job asks for its result to be recorded; a job that asks with an identity no
    key can hold is refused (400), since it could never be found again."""
    if not job.results_bucket:
        return False
    try:
        result_key(job.service, job.job_id, job.attempt)
    except BadRecord as e:
        raise BadRequest(f"{JOB_FIELD}: its result cannot be recorded: {e.reason}") from e
    return True


def _identity(job: Job) -> dict[str, Any]:
    return {
        "service": job.service,
        "job_id": job.job_id,
        "attempt": job.attempt,
        "call_id": job.call_id,
    }

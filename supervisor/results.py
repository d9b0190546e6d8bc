"""Each attempt's result, recorded where a restarted gateway finds it (`contract.results`).

Per job, so that it composes with a body that carries several: `earlier_success` before the
script runs (a repeated delivery of a job that already succeeded does not run it again), then
`succeeded` or `failed` once it has run, before the answer goes back.

The jobs of a batch (several jobs, one call id) are recorded together, in one call record
(`contract.results.call_key`) written when the batch ends, before its answer, and every
`FLUSH_SECONDS` while it runs (so a replica killed in the middle of a long batch leaves the
results of its finished jobs, for the gateway to settle them from); a repeated delivery of
the batch reads it once and answers each job that succeeded from it.

A record that cannot be written is logged and the answer goes out anyway: the callback still
carries the result, and only if both are lost does the attempt run again (at least once, as
before). A job whose earlier records cannot be read is not run: running it could repeat a
success, so the attempt fails as storage being unavailable (503) and is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from contract.errors import BadRecord
from contract.job import JOB_FIELD, Job
from contract.results import (
    FAILED,
    SUCCEEDED,
    AttemptRecord,
    call_json,
    call_key,
    read_call,
    result_key,
)
from supervisor.errors import BadRequest, SupervisorError

log = logging.getLogger(__name__)
# How long the finished jobs of a running batch may go unrecorded; a batch is sized to take
# a few seconds (gateway.jobs.batching), so a batch writes its call record a few times.
FLUSH_SECONDS = 0.5


class RecordStore(Protocol):
    """What the book needs of storage (`supervisor.storage.open_storage` gives it)."""

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


class _Call:
    """A batch being recorded: its earlier life's records (a repeated delivery), its new ones."""

    def __init__(self, job: Job, earlier: Sequence[AttemptRecord], *, now: float) -> None:
        self.service, self.call_id, self.bucket = job.service, job.call_id, job.results_bucket
        self.earlier = {r.job_id: r for r in earlier if r.call_id == job.call_id}
        self.records: dict[str, AttemptRecord] = {}
        self.written_at = now  # when the call record was last written (or the batch began)
        self.lock = threading.Lock()  # BATCH_PARALLEL runs a batch's jobs on threads


class ResultBook:
    def __init__(self, store: RecordStore, *, clock: Callable[[], float] = time.time) -> None:
        self._store = store
        self._clock = clock
        self._calls: dict[str, _Call] = {}  # the batches being recorded, by call id

    @contextmanager
    def batch(self, jobs: Sequence[Job]) -> Iterator[None]:
        """While the jobs of one invocation run: their records go into one call record, read
        first (a repeated delivery finds its earlier life's successes) and written at the end.
        A batch of one, or jobs that do not share one call id and bucket, record per job."""
        first = jobs[0]
        together = (
            len(jobs) > 1
            and bool(first.call_id)
            and first.call_id not in self._calls
            and all(
                recordable(j)
                and (j.call_id, j.service, j.results_bucket)
                == (first.call_id, first.service, first.results_bucket)
                for j in jobs
            )
        )
        if not together:
            yield
            return
        call = _Call(first, self._read_call(first), now=time.monotonic())
        self._calls[call.call_id] = call
        try:
            yield
        finally:
            del self._calls[call.call_id]
            self._write_call(call)

    def earlier_success(self, job: Job) -> AttemptRecord | None:
        """The recorded success of an attempt of `job` up to this one (the latest), or None.

        One GET per attempt number, newest first (attempt 1: one GET), rather than a listing
        of the job's folder: MinIO lists a prefix more slowly as the bucket grows (1.4 ms, then
        3.1 ms after 200 more records, measured), a missing key answers in the same ~1.3 ms.
        A requeued dead letter numbers its attempts from 1 again, so a record numbered above
        the current attempt is not looked at: it is a failure, or its job would not be dead.
        In a batch, the call record read at its start stands for the current attempt (no GET
        per job: attempt 1, the usual case, reads nothing more); earlier attempts are read as
        for a job alone.
        """
        call = self._calls.get(job.call_id)
        newest = job.attempt
        if call is not None:
            found = call.earlier.get(job.job_id)
            if found is not None and found.succeeded and found.attempt == job.attempt:
                return found
            newest -= 1
        bucket = job.results_bucket
        for attempt in range(newest, 0, -1):
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
        call = self._calls.get(job.call_id) if job.call_id else None
        if call is not None and job.results_bucket == call.bucket:
            with call.lock:
                call.records[job.job_id] = record
                due = time.monotonic() - call.written_at >= FLUSH_SECONDS
            if due:
                self._write_call(call)
            return
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

    def _read_call(self, job: Job) -> tuple[AttemptRecord, ...]:
        """The batch's call record from an earlier delivery, if any (unreadable: none, as a
        job's unreadable record is). A store that does not answer fails the batch's jobs, as
        for one job: running them could repeat a success."""
        key = call_key(job.service, job.call_id)
        body = self._store.read_bytes(job.results_bucket, key)
        if body is None:
            return ()
        try:
            return read_call(body)
        except BadRecord as e:
            log.warning("call record %s/%s is unreadable, ignored: %s", job.results_bucket, key, e)
            return ()

    def _write_call(self, call: _Call) -> None:
        with call.lock:
            records = list(call.records.values())
            call.written_at = time.monotonic()
        if not records:
            return
        key = call_key(call.service, call.call_id)
        body = call_json(call.service, call.call_id, records)
        try:
            self._store.write_bytes(call.bucket, key, body)
        except SupervisorError as e:
            log.warning(
                "the results of call %s (%d jobs) were not recorded, only its callback carries "
                "them: %s",
                call.call_id,
                len(records),
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

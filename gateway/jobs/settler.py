"""The settler: attempts whose callback is overdue, settled from the function's result record.

A function records each attempt's result in the results bucket before it answers
(`contract.results`), so the callback is not the only way a result arrives: a callback lost
with a killed gateway (or a queue-worker that died before posting it) leaves a record behind.
The settler reads the record of each running attempt older than one pass, and settles the
attempt from it as its callback would have (`callbacks.settle`: under the row's lock, so a
callback arriving at the same time changes nothing twice). It runs when the gateway starts,
before the dispatcher's first timeout pass, and then every `interval` seconds; with several
gateways on one ledger, on the one that leads "settler".

A batch's jobs are recorded together in one call record (`contract.results.call_key`): the
attempts in flight that share a call id are looked up there, one read per call and pass, and
so is an attempt alone in flight with no record of its own (the last of a batch).

An attempt with no record yet is still running (or died without a word: then its timeout
retries it, and the supervisor does not run a job again that already succeeded).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Protocol

from contract.errors import BadRecord
from contract.results import AttemptRecord, result_key
from gateway.errors import GatewayError
from gateway.jobs.call_records import call_records
from gateway.jobs.callbacks import read_record, settle
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.leadership import Leadership
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import AttemptResult, Job

log = logging.getLogger(__name__)


class RecordReader(Protocol):
    """What the settler needs of MinIO (`gateway.clients.storage.Storage` has it)."""

    def read(self, bucket: str, key: str) -> bytes | None: ...


class Settler:
    def __init__(
        self,
        *,
        ledger: Ledger,
        records: RecordReader,
        dispatcher: Dispatcher,
        metrics: Metrics,
        bucket: str,
        interval: float,
        clock: Callable[[], float] = time.time,
        leadership: Leadership | None = None,
    ) -> None:
        """`leadership`: who runs the periodic pass; None: the ledger's lock."""
        self._ledger = ledger
        self._leadership: Leadership = leadership or ledger
        self._records = records
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._bucket = bucket
        self._interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="settler", daemon=True)

    def start(self) -> None:
        """The first pass now, over every attempt in flight (what a dead gateway left), then
        the loop; nothing at all without a results bucket."""
        if not self._bucket:
            return
        self._pass(dispatched_before=self._clock())
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def settle(self, *, dispatched_before: float) -> int:
        """Settle each running attempt dispatched before the given time whose result is
        recorded; returns how many were settled."""
        settled = 0
        calls: dict[str, dict[str, AttemptRecord]] = {}  # call id -> its records by job id
        in_flight = list(self._ledger.in_flight(dispatched_before))
        shared = Counter(job.call_id for job in in_flight if job.call_id)
        for job in in_flight:
            if self._stopping.is_set():
                break
            outcome = self._recorded(job, calls, shared=shared[job.call_id] > 1)
            if outcome is None:
                continue
            now = self._clock()
            finished = settle(
                job.id,
                job.call_id,
                outcome,
                ledger=self._ledger,
                dispatcher=self._dispatcher,
                metrics=self._metrics,
                now=now,
            )
            if finished is not None:
                settled += 1
                self._metrics.settled_from_record(finished)
                log.info(
                    "job %s (%s/%s) attempt %d settled from its result record, its callback "
                    "%.1fs overdue: %s",
                    *(job.id, job.bucket, job.key, job.attempts),
                    now - (job.dispatched_at or now),
                    finished.status,
                )
        return settled

    def _recorded(
        self, job: Job, calls: dict[str, dict[str, AttemptRecord]], *, shared: bool
    ) -> AttemptResult | None:
        """The attempt's outcome from its record (`shared`, a call of several jobs in flight:
        from its call record, read into `calls` once per call and pass; else its own record,
        then its call's); None while there is none that speaks for it.

        A success speaks for the job whatever call wrote it (the job did succeed, and the
        attempt in flight, should it still run, answers with that success); a failure only
        for the call that wrote it, since a requeued dead letter numbers its attempts again.
        """
        attempt = max(1, job.attempts)
        try:
            if shared:
                record = self._of_call(job, calls).get(job.id)
            else:
                body = self._records.read(self._bucket, result_key(job.service, job.id, attempt))
                record = AttemptRecord.from_json(body) if body is not None else None
        except BadRecord as e:
            log.warning("job %s attempt %d: result record ignored: %s", job.id, attempt, e)
            return None
        if record is None and not shared and job.call_id:
            # The last of a batch still in flight (its others settled already) has no record
            # of its own either: its batch's call record speaks for it.
            record = self._of_call(job, calls).get(job.id)
        if record is None or record.job_id != job.id or record.attempt != attempt:
            return None
        if not record.succeeded and (not record.call_id or record.call_id != job.call_id):
            return None
        return read_record(record)

    def _of_call(
        self, job: Job, calls: dict[str, dict[str, AttemptRecord]]
    ) -> dict[str, AttemptRecord]:
        """The records of the job's call record (a batch's), read once per call and pass."""
        if job.call_id not in calls:
            calls[job.call_id] = call_records(
                self._records, self._bucket, service=job.service, call_id=job.call_id
            )
        return calls[job.call_id]

    def _pass(self, *, dispatched_before: float) -> None:
        try:
            if self._leadership.leads("settler"):
                self.settle(dispatched_before=dispatched_before)
        except GatewayError as e:  # MinIO or the ledger unavailable: the next pass tries again
            log.warning("settling from result records skipped: %s", e.message)
        except Exception:  # the loop must outlive any one bad pass, and say so
            log.exception("settling from result records failed")

    def _loop(self) -> None:
        # A callback is expected within moments of the record; an attempt dispatched less than
        # one interval ago has had no time to be overdue.
        while not self._stopping.wait(self._interval):
            self._pass(dispatched_before=self._clock() - self._interval)

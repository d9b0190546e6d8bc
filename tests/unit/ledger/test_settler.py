"""The settler settles attempts whose callback is overdue from the function's result records,
on every ledger backend (SQLite and PostgreSQL, see conftest.py) and with several gateways."""

from __future__ import annotations

from typing import Any, cast

from contract.results import AttemptRecord, call_json, call_key, result_key
from gateway.jobs.callbacks import read_callback, settle
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.ledger import Ledger
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import Job, JobStatus, NewJob
from gateway.jobs.settler import Settler
from gateway.tokens import CallbackSigner
from tests.support.ledger_claims import claim
from tests.unit.ledger.conftest import Opener

BUCKET = "oscar-results"
NOW = 1000.0


class Records:
    """An in-memory stand-in for the results bucket (the reliability tier runs the real MinIO):
    records by key, and every key asked for."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}
        self.asked: list[str] = []

    def read(self, bucket: str, key: str) -> bytes | None:
        assert bucket == BUCKET
        self.asked.append(key)
        return self.objects.get(key)

    def put(
        self, job: Job, *, succeeded: bool = True, call: str | None = None, **fields: Any
    ) -> None:
        record = AttemptRecord(
            service=job.service,
            job_id=job.id,
            attempt=job.attempts,
            call_id=job.call_id if call is None else call,
            status="succeeded" if succeeded else "failed",
            http_status=200 if succeeded else 500,
            outputs=("out/a-1764630000123456789.txt",) if succeeded else (),
            duration_seconds=0.25,
            exit_code=0 if succeeded else 3,
            log_tail="done" if succeeded else "broken",
            error="" if succeeded else "script exited with code 3; nothing was uploaded",
            finished_at=NOW,
            **fields,
        )
        self.objects[result_key(job.service, job.id, job.attempts)] = record.to_json()


def settler(
    ledger: Ledger, records: Records, *, now: float = NOW, interval: float = 2.0
) -> Settler:
    metrics = Metrics(ledger.counts)
    dispatcher = Dispatcher(
        ledger=ledger, openfaas=cast(Any, None), registry=cast(Any, None),
        signer=CallbackSigner("k"), public_url="http://gateway", metrics=metrics,
        retry_base=1.0, retry_cap=60.0, clock=lambda: now,
    )  # fmt: skip
    return Settler(
        ledger=ledger, records=records, dispatcher=dispatcher, metrics=metrics, bucket=BUCKET,
        interval=interval, clock=lambda: now,
    )  # fmt: skip


def running(ledger: Ledger, count: int = 1, *, at: float = NOW - 10) -> list[Job]:
    ledger.add(
        NewJob("stamp", "in", f"in/{n}.txt", f"e{n}", '{"Records": []}', 3, at)
        for n in range(count)
    )
    return claim(ledger, "stamp", limit=count, now=at, timeout=330)


def test_a_recorded_success_settles_its_attempt_and_its_late_callback_changes_nothing(
    ledger: Ledger,
) -> None:
    [job] = running(ledger)
    records = Records()
    records.put(job)

    assert settler(ledger, records).settle(dispatched_before=NOW) == 1

    done = ledger.get(job.id)
    assert done is not None and done.status == JobStatus.SUCCEEDED
    assert done.outputs == ["out/a-1764630000123456789.txt"] and done.log_tail == "done"
    [attempt] = ledger.attempts(job.id)
    assert attempt.outcome == "succeeded" and attempt.http_status == 200
    late = read_callback({"X-Function-Status": "200"}, b'{"results": []}')
    parts = settler(ledger, records)
    assert (
        settle(
            job.id, job.call_id, late, ledger=ledger, dispatcher=parts._dispatcher,
            metrics=parts._metrics, now=NOW + 1,
        )
        is None
    )  # fmt: skip


def test_an_attempt_with_no_record_yet_keeps_running(ledger: Ledger) -> None:
    [job] = running(ledger)

    assert settler(ledger, Records()).settle(dispatched_before=NOW) == 0

    still = ledger.get(job.id)
    assert still is not None and still.status == JobStatus.RUNNING


def test_only_attempts_dispatched_before_the_cut_off_are_looked_up(ledger: Ledger) -> None:
    [old] = running(ledger, at=NOW - 10)
    ledger.add([NewJob("stamp", "in", "in/new.txt", "e-new", '{"Records": []}', 3, NOW - 1)])
    [new] = claim(ledger, "stamp", limit=1, now=NOW - 0.5, timeout=330)
    records = Records()

    settler(ledger, records).settle(dispatched_before=NOW - 2)

    # Its own record, then (none there) its call's, which a batch's last job in flight has.
    assert records.asked == [result_key("stamp", old.id, 1), call_key("stamp", old.call_id)]
    assert new.id not in "".join(records.asked)


def test_a_recorded_failure_of_the_same_call_is_retried_without_waiting_for_the_timeout(
    ledger: Ledger,
) -> None:
    [job] = running(ledger)
    records = Records()
    records.put(job, succeeded=False)

    settler(ledger, records).settle(dispatched_before=NOW)

    retried = ledger.get(job.id)
    assert retried is not None and retried.status == JobStatus.QUEUED
    assert retried.next_attempt_at == NOW + 1.0  # the usual backoff, not oscar.timeout
    assert "code 3" in retried.error and retried.log_tail == "broken"


def test_a_recorded_failure_of_another_call_is_not_taken_for_this_attempt(ledger: Ledger) -> None:
    [job] = running(ledger)
    records = Records()
    records.put(job, succeeded=False, call="an-earlier-life-of-attempt-1")

    settler(ledger, records).settle(dispatched_before=NOW)

    still = ledger.get(job.id)
    assert still is not None and still.status == JobStatus.RUNNING


def test_a_success_recorded_by_another_call_still_settles_the_job(ledger: Ledger) -> None:
    [job] = running(ledger)
    records = Records()
    records.put(job, call="the-same-job-sent-again", repeat_of=1)

    settler(ledger, records).settle(dispatched_before=NOW)

    done = ledger.get(job.id)
    assert done is not None and done.status == JobStatus.SUCCEEDED


def test_a_malformed_record_is_ignored_and_the_others_are_settled(ledger: Ledger) -> None:
    first, second = running(ledger, 2)
    records = Records()
    records.objects[result_key("stamp", first.id, 1)] = b"{not json"
    records.put(second)

    assert settler(ledger, records).settle(dispatched_before=NOW) == 1

    assert cast(Job, ledger.get(first.id)).status == JobStatus.RUNNING
    assert cast(Job, ledger.get(second.id)).status == JobStatus.SUCCEEDED


def test_the_start_pass_settles_every_attempt_in_flight_at_once(ledger: Ledger) -> None:
    jobs = running(ledger, 3, at=NOW - 0.1)  # dispatched a moment before the gateway died
    records = Records()
    for job in jobs:
        records.put(job)
    parts = settler(ledger, records, interval=3600.0)

    parts.start()  # returns after its first pass; the next one is an hour away
    parts.stop()

    assert {cast(Job, ledger.get(j.id)).status for j in jobs} == {JobStatus.SUCCEEDED}


def test_two_gateways_settling_one_ledger_record_each_success_once(open_ledger: Opener) -> None:
    one, other = open_ledger(), open_ledger()
    jobs = running(one, 4)
    records = Records()
    for job in jobs:
        records.put(job)

    settled = [settler(ledger, records).settle(dispatched_before=NOW) for ledger in (one, other)]

    assert sum(settled) == 4
    for job in jobs:
        assert [a.outcome for a in one.attempts(job.id)] == ["succeeded"]


def test_without_a_results_bucket_nothing_is_looked_up(ledger: Ledger) -> None:
    running(ledger)
    records = Records()
    parts = settler(ledger, records)
    parts._bucket = ""

    parts.start()
    parts.stop()

    assert records.asked == []


def running_batch(ledger: Ledger, count: int = 3, *, at: float = NOW - 10) -> list[Job]:
    ledger.add(
        NewJob("stamp", "in", f"in/b{n}.txt", f"eb{n}", '{"Records": []}', 3, at)
        for n in range(count)
    )
    [batch] = ledger.claim_batches("stamp", size=count, now=at, timeout=330, concurrency=1)
    return batch


def test_a_batch_is_settled_from_its_one_call_record_read_once(ledger: Ledger) -> None:
    batch = running_batch(ledger)
    call = batch[0].call_id
    records = Records()
    records.put(batch[0])
    records.put(batch[2], succeeded=False)
    per_job = [AttemptRecord.from_json(records.objects.pop(key)) for key in list(records.objects)]
    records.objects[call_key("stamp", call)] = call_json("stamp", call, per_job)

    assert settler(ledger, records).settle(dispatched_before=NOW) == 2

    assert records.asked == [call_key("stamp", call)]  # one read for the three jobs
    states = {job.id: ledger.get(job.id) for job in batch}
    assert states[batch[0].id].status == JobStatus.SUCCEEDED  # type: ignore[union-attr]
    assert states[batch[1].id].status == JobStatus.RUNNING  # type: ignore[union-attr]
    assert states[batch[2].id].status == JobStatus.QUEUED  # type: ignore[union-attr]


def test_a_call_record_of_another_call_settles_none_of_the_batch(ledger: Ledger) -> None:
    batch = running_batch(ledger, 2)
    records = Records()
    records.put(batch[0], call="an-earlier-call")
    stale = AttemptRecord.from_json(records.objects.popitem()[1])
    key = call_key("stamp", batch[0].call_id)
    records.objects[key] = call_json("stamp", batch[0].call_id, [stale])

    assert settler(ledger, records).settle(dispatched_before=NOW) == 0


def test_the_last_job_of_a_batch_in_flight_is_settled_from_its_call_record(
    ledger: Ledger,
) -> None:
    first, last = running_batch(ledger, 2)
    records = Records()
    records.put(first)
    records.put(last)
    per_job = [AttemptRecord.from_json(records.objects.pop(key)) for key in list(records.objects)]
    records.objects[call_key("stamp", first.call_id)] = call_json("stamp", first.call_id, per_job)
    late = read_callback({"X-Function-Status": "200"}, b'{"results": []}')
    parts = settler(ledger, records)
    settle(
        first.id,
        first.call_id,
        late,
        ledger=ledger,
        dispatcher=parts._dispatcher,
        metrics=parts._metrics,
        now=NOW,
    )  # fmt: skip  (its other job settled already: the last one is alone in flight)

    assert settler(ledger, records).settle(dispatched_before=NOW) == 1

    settled = ledger.get(last.id)
    assert settled is not None and settled.status == JobStatus.SUCCEEDED

"""Batches in the ledger, on every backend: a batch's jobs share a call id, a service's
concurrency counts invocations, and each job of a batch settles on its own."""

from __future__ import annotations

from gateway.jobs.ledger import Ledger
from gateway.jobs.model import AttemptResult, JobStatus
from gateway.jobs.sql_batches import EXTRA_PER_JOB
from tests.unit.ledger.test_ledger_contract import new

OK = AttemptResult(True, 200, 0.1, ["out/a"], "", "", retryable=False)
FAILED = AttemptResult(False, 500, 0.1, [], "tail", "HTTP 500: exit 3", retryable=True)


def backoff(attempts: int) -> float:
    return 10.0 * attempts


def test_fewer_due_jobs_than_free_slots_go_one_per_invocation(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(3)])

    batches = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=4)

    assert [len(b) for b in batches] == [1, 1, 1]
    assert len({b[0].call_id for b in batches}) == 3


def test_a_backlog_is_spread_evenly_over_the_free_slots(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(9)])

    batches = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=4)

    assert [len(b) for b in batches] == [3, 2, 2, 2]
    assert all(len({j.call_id for j in b}) == 1 for b in batches)
    assert ledger.calls_running("svc") == 4
    assert ledger.running("svc") == 9


def test_concurrency_counts_invocations_not_jobs(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(30)])
    ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=2)

    more = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=2)

    assert more == []
    assert ledger.running("svc") == 20


def test_a_partial_failure_requeues_only_the_failed_job(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(3)])
    [batch] = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=1)
    call = batch[0].call_id
    outcomes = [(batch[0].id, OK), (batch[1].id, FAILED), (batch[2].id, OK)]

    finished, missing = ledger.settle_many(
        call, outcomes, started_at=101.5, backoff=backoff, now=102.0
    )

    assert missing == []
    assert [j.status for j in finished] == [
        JobStatus.SUCCEEDED,
        JobStatus.QUEUED,
        JobStatus.SUCCEEDED,
    ]
    retried = ledger.get(batch[1].id)
    assert retried is not None and retried.next_attempt_at == 112.0
    assert ledger.get(batch[0].id).started_at == 101.5  # type: ignore[union-attr]
    assert [a.outcome for a in ledger.attempts(batch[1].id)] == ["failed"]


def test_a_callback_of_another_call_settles_nothing(ledger: Ledger) -> None:
    ledger.add([new("in/a.txt")])
    [[job]] = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=1)

    finished, missing = ledger.settle_many(
        "not-the-call", [(job.id, OK), ("no-such-job", OK)], started_at=None, backoff=backoff,
        now=102.0,
    )  # fmt: skip

    assert finished == [] and missing == ["no-such-job"]
    assert ledger.get(job.id).status == JobStatus.RUNNING  # type: ignore[union-attr]


def test_a_batch_deadline_allows_its_short_jobs_to_run_one_after_another(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(3)])

    [batch] = ledger.claim_batches("svc", size=10, now=100.0, timeout=30, concurrency=1)

    assert {j.deadline_at for j in batch} == {100.0 + 30 + 2 * EXTRA_PER_JOB}


def test_batches_of_one_each_take_a_free_slot_and_an_attempt_of_their_own(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(5)])

    first = ledger.claim_batches("svc", size=1, now=101.0, timeout=30, concurrency=3)
    full = ledger.claim_batches("svc", size=1, now=101.5, timeout=30, concurrency=3)

    assert [len(b) for b in first] == [1, 1, 1] and full == []
    assert len({b[0].call_id for b in first}) == 3
    assert all(b[0].status == JobStatus.RUNNING and b[0].attempts == 1 for b in first)
    assert all(len(ledger.attempts(b[0].id)) == 1 for b in first)
    [done, *_] = first
    ledger.settle_many(
        done[0].call_id, [(done[0].id, OK)], started_at=None, backoff=backoff, now=102.0
    )
    [[next_one]] = ledger.claim_batches("svc", size=1, now=103.0, timeout=30, concurrency=3)
    assert next_one.id not in {b[0].id for b in first}

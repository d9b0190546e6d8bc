"""Batches in the ledger, on every backend: a batch's jobs share a call id, a service's
concurrency counts invocations, and each job of a batch settles on its own."""

from __future__ import annotations

import threading

from gateway.jobs.ledger import Ledger
from gateway.jobs.model import AttemptResult, JobStatus, NewJob
from gateway.jobs.sql_batches import EXTRA_PER_JOB
from tests.unit.ledger.conftest import Opener
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


def test_a_backlog_goes_out_oldest_first_in_batches_of_consecutive_jobs(ledger: Ledger) -> None:
    ledger.add(
        [NewJob("svc", "bucket", f"in/{n}.txt", "e1", "{}", 3, 100.0 + n / 100) for n in range(9)]
    )

    batches = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=4)

    assert [[j.key for j in b] for b in batches] == [
        ["in/0.txt", "in/1.txt", "in/2.txt"],
        ["in/3.txt", "in/4.txt"],
        ["in/5.txt", "in/6.txt"],
        ["in/7.txt", "in/8.txt"],
    ]
    assert [b[0].deadline_at for b in batches] == [
        101.0 + 30 + 2 * EXTRA_PER_JOB,
        *[101.0 + 30 + EXTRA_PER_JOB] * 3,
    ]


def test_a_claim_leaves_the_backlog_beyond_its_slots_and_sizes_queued(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(25)])

    batches = ledger.claim_batches("svc", size=4, now=101.0, timeout=30, concurrency=3)

    assert [len(b) for b in batches] == [4, 4, 4]
    assert ledger.total("svc", status=JobStatus.QUEUED) == 13
    assert all(len(ledger.attempts(j.id)) == 1 for b in batches for j in b)


def test_a_claim_with_no_free_slot_or_nothing_due_claims_nothing(ledger: Ledger) -> None:
    ledger.add([new("in/a.txt")])

    assert ledger.claim_batches("svc", size=4, now=101.0, timeout=30, concurrency=0) == []
    assert ledger.claim_batches("svc", size=4, now=50.0, timeout=30, concurrency=2) == []
    assert ledger.claim_batches("other", size=4, now=101.0, timeout=30, concurrency=2) == []
    assert ledger.total("svc", status=JobStatus.QUEUED) == 1


def test_a_retried_batch_job_gets_a_new_call_and_a_second_attempt_row(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(2)])
    [batch] = ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=1)
    ledger.settle_many(
        batch[0].call_id, [(batch[0].id, FAILED), (batch[1].id, OK)], started_at=None,
        backoff=backoff, now=102.0,
    )  # fmt: skip

    [[again]] = ledger.claim_batches("svc", size=10, now=200.0, timeout=30, concurrency=1)

    assert again.id == batch[0].id and again.attempts == 2
    assert again.call_id != batch[0].call_id
    assert [a.call_id for a in ledger.attempts(again.id)] == [batch[0].call_id, again.call_id]


def test_two_replicas_claiming_batches_at_once_share_no_job_and_hold_the_concurrency(
    open_ledger: Opener,
) -> None:
    replicas = [open_ledger(), open_ledger()]
    replicas[0].add([new(f"in/{n}.txt") for n in range(300)])
    claimed: list[list[str]] = [[], []]
    most_running = [0, 0]

    def claim_all(index: int) -> None:
        ledger = replicas[index]
        while True:
            batches = ledger.claim_batches("svc", size=5, now=101.0, timeout=30, concurrency=3)
            most_running[index] = max(most_running[index], ledger.calls_running("svc"))
            for batch in batches:
                claimed[index] += [j.id for j in batch]
                ledger.settle_many(
                    batch[0].call_id, [(j.id, OK) for j in batch], started_at=None,
                    backoff=backoff, now=102.0,
                )  # fmt: skip
            if not batches and ledger.total("svc", status=JobStatus.QUEUED) == 0:
                return

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    every = claimed[0] + claimed[1]
    assert len(every) == len(set(every)) == 300
    assert max(most_running) <= 3

"""A new job of an idle service claimed by its own insert (`Ledger.add` with `ClaimTerms`): as
the dispatcher's claim would claim it, and only when the dispatcher's claim would take it alone
(no backlog, a free slot, no batch being filled); leased like any claim; one job per identity
however many gateways are told of it. Runs on both backends."""

from __future__ import annotations

import threading

from gateway.jobs.ledger import Ledger
from gateway.jobs.model import AttemptResult, ClaimTerms, Job, JobStatus, NewJob
from tests.support.ledger_claims import claim
from tests.unit.ledger.conftest import Opener

NOW = 101.0
IDLE = {"svc": ClaimTerms(NOW, timeout=300.0, concurrency=4)}


def new(key: str, *, service: str = "svc", at: float = 100.0) -> NewJob:
    return NewJob(service, "bucket", key, "e1", '{"Records": []}', 3, at)


def test_a_new_job_of_an_idle_service_comes_back_claimed_as_the_dispatcher_would_claim_it(
    ledger: Ledger,
) -> None:
    [(job, made)] = ledger.add([new("in/a.txt")], claim=IDLE)

    assert made and job.status == JobStatus.RUNNING and job.attempts == 1 and job.call_id
    assert (job.dispatched_at, job.deadline_at) == (NOW, NOW + 300.0)
    [attempt] = ledger.attempts(job.id)
    assert (attempt.number, attempt.call_id, attempt.outcome) == (1, job.call_id, "running")
    assert ledger.calls_running("svc") == 1
    assert ledger.counts() == {("svc", "running"): 1}
    assert claim(ledger, "svc", limit=4, now=NOW + 1, timeout=300) == []  # nothing left queued


def test_without_terms_or_for_a_service_not_named_a_new_job_stays_queued(ledger: Ledger) -> None:
    plain = ledger.add([new("in/a.txt")])
    other = ledger.add([new("in/b.txt", service="other")], claim=IDLE)

    assert [job.status for job, _ in plain + other] == [JobStatus.QUEUED] * 2


def test_a_backlog_keeps_new_jobs_queued_for_the_dispatcher_to_batch_in_order(
    ledger: Ledger,
) -> None:
    ledger.add([new("in/older.txt", at=99.0)])  # due, not yet claimed

    [(job, made)] = ledger.add([new("in/a.txt")], claim=IDLE)

    assert made and job.status == JobStatus.QUEUED
    batches = ledger.claim_batches("svc", size=10, now=NOW, timeout=300, concurrency=1)
    assert [[j.key for j in batch] for batch in batches] == [["in/older.txt", "in/a.txt"]]


def test_a_retry_not_yet_due_is_no_backlog(ledger: Ledger) -> None:
    [(failed, _)] = ledger.add([new("in/flaky.txt")], claim=IDLE)
    ledger.finish(failed.id, failed.call_id, AttemptResult(False), retry_at=NOW + 60, now=NOW)

    [(job, _)] = ledger.add([new("in/a.txt")], claim=IDLE)

    assert job.status == JobStatus.RUNNING


def test_the_concurrency_limit_holds_for_claims_at_insert(ledger: Ledger) -> None:
    terms = {"svc": ClaimTerms(NOW, timeout=300.0, concurrency=2)}

    added = [ledger.add([new(f"in/{n}.txt")], claim=terms)[0][0] for n in range(3)]

    assert [job.status for job in added] == [JobStatus.RUNNING] * 2 + [JobStatus.QUEUED]
    assert ledger.calls_running("svc") == 2


def test_a_service_filling_batches_claims_at_insert_only_while_none_of_its_calls_run(
    ledger: Ledger,
) -> None:
    terms = {"svc": ClaimTerms(NOW, timeout=300.0, concurrency=4, hold_when_busy=True)}

    first = ledger.add([new("in/first.txt")], claim=terms)[0][0]
    second = ledger.add([new("in/second.txt")], claim=terms)[0][0]

    assert (first.status, second.status) == (JobStatus.RUNNING, JobStatus.QUEUED)


def test_a_repeated_identity_is_neither_made_nor_claimed_again(ledger: Ledger) -> None:
    [(job, made)] = ledger.add([new("in/a.txt")], claim=IDLE)
    [(again, made_again)] = ledger.add([new("in/a.txt")], claim=IDLE)

    assert made and not made_again
    assert again.id == job.id and again.call_id == job.call_id and again.attempts == 1
    assert len(ledger.attempts(job.id)) == 1


def test_visible_is_told_of_the_new_jobs_as_they_came_back(ledger: Ledger) -> None:
    told: list[list[Job]] = []
    ledger.add([new("in/a.txt")], claim=IDLE)

    results = ledger.add(
        [new("in/a.txt"), new("in/b.txt"), new("in/c.txt", service="other")],
        visible=told.append,
        claim=IDLE,
    )

    assert told == [[job for job, made in results if made]]
    assert [job.status for job in told[0]] == [JobStatus.RUNNING, JobStatus.QUEUED]
    assert ledger.add([new("in/a.txt")], visible=told.append, claim=IDLE) and len(told) == 1


def test_a_claim_at_insert_is_leased_a_restart_queues_it_and_so_does_its_lease_running_out(
    open_ledger: Opener,
) -> None:
    killed = open_ledger(replica="gateway")
    [(mine, _)] = killed.add([new("in/a.txt")], claim=IDLE)

    restarted = open_ledger(replica="gateway")
    assert restarted.release_own(NOW + 1) == 1
    again = restarted.get(mine.id)
    assert again is not None and again.status == JobStatus.QUEUED and again.attempts == 0
    assert [a.outcome for a in restarted.attempts(mine.id)] == ["abandoned"]

    assert [j.id for j in claim(restarted, "svc", limit=1, now=NOW + 1, timeout=300)] == [mine.id]

    died = open_ledger(replica="gateway-2")
    [(lost, _)] = died.add([new("in/b.txt")], claim={"svc": ClaimTerms(NOW + 2, 300.0, 8)})
    assert lost.status == JobStatus.RUNNING
    assert restarted.release_expired(NOW + 2 + 29) == 0  # its lease (30 s) still runs
    assert restarted.release_expired(NOW + 2 + 31) == 2  # and the claim of mine, at NOW + 1
    retaken = claim(restarted, "svc", limit=4, now=NOW + 40, timeout=300)
    assert sorted(job.id for job in retaken) == sorted([mine.id, lost.id])
    assert {job.attempts for job in retaken} == {1}


def test_three_gateways_told_of_every_file_at_once_make_one_job_each_claimed_once(
    open_ledger: Opener,
) -> None:
    gateways = [open_ledger(replica=f"gateway-{n}") for n in range(3)]
    made: list[list[Job]] = [[], [], []]
    concurrency = 3

    def told(index: int) -> None:
        for n in range(30):
            terms = {"svc": ClaimTerms(NOW, 300.0, concurrency)}
            made[index] += [job for job, new_ in gateways[index].add(
                [new(f"in/{n}.txt")], claim=terms) if new_]  # fmt: skip

    threads = [threading.Thread(target=told, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    every = [job for jobs in made for job in jobs]
    assert sorted(job.key for job in every) == sorted(f"in/{n}.txt" for n in range(30))
    running = gateways[0].page("svc", status=JobStatus.RUNNING, limit=100, offset=0)
    assert len(running) == gateways[0].calls_running("svc") == concurrency  # never more
    for job in running:
        assert len(gateways[0].attempts(job.id)) == 1
    queued = claim(gateways[1], "svc", limit=100, now=NOW + 1, timeout=300)
    assert len(queued) == 30 - concurrency  # the rest wait for the dispatcher, none lost


def test_a_sent_calls_leases_end_and_only_that_calls(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(3)])
    [sent, other] = ledger.claim_batches("svc", size=2, now=NOW, timeout=300, concurrency=2)

    ledger.mark_sent_many([job.id for job in sent], sent[0].call_id)
    ledger.mark_sent_many([other[0].id], sent[0].call_id)  # not its call: its lease stays

    assert ledger.release_expired(NOW + 3600) == 1
    assert ledger.get(other[0].id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert {ledger.get(job.id).status for job in sent} == {JobStatus.RUNNING}  # type: ignore[union-attr]

"""The ledger keeps each job's identity unique and its state machine honest, on every backend
(each test runs on SQLite and on PostgreSQL: see conftest.py)."""

from __future__ import annotations

import pytest

from gateway.jobs.ledger import Ledger
from gateway.jobs.model import AttemptResult, JobStatus, NewJob, backoff_seconds
from gateway.services.endpoints import Endpoint
from tests.support.ledger_claims import claim
from tests.unit.ledger.conftest import Opener


def new(key: str = "in/a.txt", etag: str = "e1", *, attempts: int = 3) -> NewJob:
    return NewJob("svc", "bucket", key, etag, '{"Records": []}', attempts, 100.0)


def test_a_repeated_identity_makes_no_second_job(ledger: Ledger) -> None:
    [(first, created)] = ledger.add([new()])
    [(again, created_again)] = ledger.add([new()])
    [(other, created_other)] = ledger.add([new(etag="e2")])

    assert created and not created_again and created_other
    assert again.id == first.id
    assert other.id != first.id


def test_claim_respects_the_limit_and_gives_each_attempt_a_call_id(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(5)])

    claimed = claim(ledger, "svc", limit=2, now=101.0, timeout=30)

    assert len(claimed) == 2
    assert all(j.status == JobStatus.RUNNING and j.attempts == 1 for j in claimed)
    assert len({j.call_id for j in claimed}) == 2
    assert ledger.running("svc") == 2
    assert claim(ledger, "svc", limit=0, now=101.0, timeout=30) == []


def test_success_is_recorded_once_and_a_stale_callback_changes_nothing(
    ledger: Ledger,
) -> None:
    ledger.add([new()])
    [job] = claim(ledger, "svc", limit=1, now=101.0, timeout=30)

    done = ledger.finish(
        job.id,
        job.call_id,
        AttemptResult(True, 200, 0.5, ["out/a.txt"], "ok", ""),
        retry_at=None,
        now=102.0,
    )
    repeat = ledger.finish(
        job.id,
        job.call_id,
        AttemptResult(False, 500, 1.0, [], "", "late"),
        retry_at=110.0,
        now=103.0,
    )

    assert done is not None and done.status == JobStatus.SUCCEEDED
    assert done.outputs == ["out/a.txt"]
    assert repeat is None
    assert ledger.get(job.id).status == JobStatus.SUCCEEDED  # type: ignore[union-attr]


def test_failures_retry_until_the_last_attempt_then_the_job_is_dead(ledger: Ledger) -> None:
    ledger.add([new(attempts=2)])
    [first] = claim(ledger, "svc", limit=1, now=101.0, timeout=30)
    retried = ledger.finish(
        first.id,
        first.call_id,
        AttemptResult(False, 500, 0.1, [], "boom", "exit 3"),
        retry_at=105.0,
        now=102.0,
    )
    assert retried is not None and retried.status == JobStatus.QUEUED
    assert claim(ledger, "svc", limit=1, now=104.0, timeout=30) == []  # backoff not over yet

    [second] = claim(ledger, "svc", limit=1, now=105.0, timeout=30)
    dead = ledger.finish(
        second.id,
        second.call_id,
        AttemptResult(False, 500, 0.1, [], "boom again", "exit 3"),
        retry_at=120.0,
        now=106.0,
    )

    assert dead is not None and dead.status == JobStatus.DEAD
    assert dead.log_tail == "boom again"
    assert [a.outcome for a in ledger.attempts(first.id)] == ["failed", "failed"]
    assert ledger.requeue_dead("svc", now=200.0) == 1
    assert ledger.get(first.id).status == JobStatus.QUEUED  # type: ignore[union-attr]


def test_a_requeued_dead_letter_keeps_the_history_of_its_earlier_attempts(
    ledger: Ledger,
) -> None:
    ledger.add([new(attempts=1)])
    [first] = claim(ledger, "svc", limit=1, now=101.0, timeout=30)
    ledger.finish(
        first.id,
        first.call_id,
        AttemptResult(False, 500, 0.1, [], "boom", "exit 3"),
        retry_at=105.0,
        now=102.0,
    )
    ledger.requeue_dead("svc", now=200.0)

    [again] = claim(ledger, "svc", limit=1, now=201.0, timeout=30)

    assert again.attempts == 1  # a fresh budget of attempts
    history = ledger.attempts(first.id)
    assert [(a.number, a.outcome) for a in history] == [(1, "failed"), (2, "running")]
    assert [a.call_id for a in history] == [first.call_id, again.call_id]


def test_a_job_whose_callback_never_arrives_is_overdue(ledger: Ledger) -> None:
    ledger.add([new()])
    [job] = claim(ledger, "svc", limit=1, now=101.0, timeout=30)

    assert ledger.overdue(120.0) == []
    assert [j.id for j in ledger.overdue(132.0)] == [job.id]
    assert ledger.next_due() == pytest.approx(131.0)


def test_jobs_survive_reopening_the_database(open_ledger: Opener) -> None:
    first = open_ledger()
    [(job, _)] = first.add([new()])
    first.close()

    again = open_ledger()

    assert again.get(job.id) is not None
    assert again.counts() == {("svc", "queued"): 1}


def test_backoff_doubles_up_to_its_cap() -> None:
    assert [backoff_seconds(n, base=1.0, cap=5.0) for n in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]


def test_pruning_strips_old_successes_to_their_identity_and_keeps_dead_letters(
    ledger: Ledger,
) -> None:
    ledger.add([new("in/old.txt"), new("in/dead.txt", attempts=1), new("in/recent.txt")])
    claimed = {j.key: j for j in claim(ledger, "svc", limit=3, now=101.0, timeout=30)}
    old, dead, recent = (claimed[f"in/{name}.txt"] for name in ("old", "dead", "recent"))
    ok = AttemptResult(True, 200, 0.1, ["out/x.txt"], "log", "")
    ledger.finish(old.id, old.call_id, ok, retry_at=None, now=102.0)
    ledger.finish(
        dead.id, dead.call_id, AttemptResult(False, error="boom"), retry_at=None, now=102.0
    )
    ledger.finish(recent.id, recent.call_id, ok, retry_at=None, now=500.0)

    assert ledger.prune(400.0, now=1000.0, batch=1) == 1
    assert ledger.prune(400.0, now=1000.0) == 0  # the dead letter and the recent one stay

    pruned = ledger.get(old.id)
    assert pruned is not None and pruned.status == JobStatus.SUCCEEDED
    assert (pruned.log_tail, pruned.outputs, ledger.attempts(old.id)) == ("", [], [])
    assert ledger.get(dead.id).error == "boom"  # type: ignore[union-attr]
    assert ledger.get(recent.id).log_tail == "log"  # type: ignore[union-attr]
    [(again, created)] = ledger.add([new("in/old.txt")])  # MinIO replays the old event
    assert (again.id, created) == (old.id, False)
    assert ("in/old.txt", "e1") in ledger.keys("svc", "bucket")  # nor does the reconciler


def counted_by_scanning(ledger: Ledger) -> dict[tuple[str, str], int]:
    """What the counters must say: each status's jobs counted one by one."""
    totals = {
        ("svc", str(s)): len(ledger.page("svc", status=s, limit=10**6, offset=0)) for s in JobStatus
    }
    return {pair: n for pair, n in totals.items() if n}


def test_the_counts_by_status_follow_every_transition_and_agree_with_a_scan(
    ledger: Ledger,
) -> None:
    def agree() -> None:
        assert ledger.counts() == counted_by_scanning(ledger)

    ledger.add([new(f"in/{n}.txt", attempts=2) for n in range(4)])
    ledger.add([new("in/0.txt", attempts=2)])  # a replayed event counts nothing
    agree()
    ok, retried, failed, _unsent = claim(ledger, "svc", limit=4, now=101.0, timeout=30)
    agree()
    ledger.finish(ok.id, ok.call_id, AttemptResult(True), retry_at=None, now=102.0)
    for job in (retried, failed):
        ledger.finish(job.id, job.call_id, AttemptResult(False), retry_at=103.0, now=102.0)
    agree()
    for job in claim(ledger, "svc", limit=2, now=104.0, timeout=30):
        ledger.finish(job.id, job.call_id, AttemptResult(False), retry_at=None, now=105.0)
    agree()
    assert ledger.counts()[("svc", "dead")] == 2
    assert ledger.release_expired(200.0) == 1  # `unsent`'s lease ran out
    agree()
    assert ledger.requeue_dead("svc", 300.0) == 2
    agree()
    assert ledger.prune(400.0, now=500.0) == 1  # pruned jobs are still counted, as succeeded
    assert (
        ledger.counts()
        == counted_by_scanning(ledger)
        == {("svc", "queued"): 3, ("svc", "succeeded"): 1}
    )


def test_a_services_total_is_its_counted_jobs_of_any_or_one_status(ledger: Ledger) -> None:
    ledger.add([new(f"in/{n}.txt") for n in range(5)])
    ledger.add([NewJob("other", "bucket", "in/x.txt", "e1", "{}", 3, 100.0)])
    claim(ledger, "svc", limit=2, now=101.0, timeout=30)

    assert ledger.total("svc", status=None) == 5
    assert ledger.total("svc", status="running") == 2
    assert ledger.total("svc", status="dead") == 0
    assert ledger.total("nobody", status=None) == 0


def test_removing_a_services_jobs_takes_its_successes_and_with_every_the_rest_too(
    ledger: Ledger,
) -> None:
    ledger.add([new("in/ok.txt"), new("in/dead.txt", attempts=1), new("in/queued.txt")])
    ledger.add([NewJob("other", "bucket", "in/ok.txt", "e1", "{}", 3, 100.0)])
    ok, dead = claim(ledger, "svc", limit=2, now=101.0, timeout=30)
    ledger.finish(ok.id, ok.call_id, AttemptResult(True, 200), retry_at=None, now=102.0)
    ledger.finish(dead.id, dead.call_id, AttemptResult(False), retry_at=None, now=102.0)

    assert ledger.remove("svc", now=103.0) == 1  # OSCAR's default: the finished successes
    assert ledger.get(ok.id) is None and ledger.attempts(ok.id) == []
    assert ledger.total("svc", status=None) == 2
    assert ledger.remove("svc", now=104.0, every=True) == 2
    assert ledger.total("svc", status=None) == 0
    assert ledger.page("svc", status=None, limit=9, offset=0) == []
    assert claim(ledger, "svc", limit=5, now=200.0, timeout=30) == []  # the queued one is gone
    assert ledger.counts() == {("other", "queued"): 1}
    assert ledger.total("other", status=None) == 1  # another service's job with the same key


def test_a_removed_job_keeps_its_identity_and_its_late_callback_settles_nothing(
    ledger: Ledger,
) -> None:
    [(job, _)] = ledger.add([new()])
    [running] = claim(ledger, "svc", limit=1, now=101.0, timeout=30)

    assert ledger.remove("other", now=102.0, job_id=job.id) == 0  # not that service's job
    assert ledger.remove("svc", now=102.0, job_id=job.id) == 1
    assert ledger.remove("svc", now=102.0, job_id=job.id) == 0  # gone already
    late = AttemptResult(True, 200, 0.1, ["out/a.txt"], "log", "")
    assert ledger.finish(job.id, running.call_id, late, retry_at=None, now=103.0) is None
    assert ledger.overdue(10_000.0) == [] and ledger.running("svc") == 0
    [(again, created)] = ledger.add([new()])  # MinIO replays the event: no job again
    assert (again.status, created) == (JobStatus.REMOVED, False)
    assert ("in/a.txt", "e1") in ledger.keys("svc", "bucket")  # nor does the reconciler


def test_another_endpoints_keys_are_kept_by_host_and_port_and_the_newest_win(
    open_ledger: Opener,
) -> None:
    ledger = open_ledger()
    ledger.save_endpoint(Endpoint("http://127.0.0.1:9100", "old-ak", "old-sk"))
    ledger.save_endpoint(Endpoint("http://127.0.0.1:9100", "new-ak", "new-sk", "eu-west-1"))
    ledger.close()

    reopened = open_ledger()
    found = reopened.endpoint("127.0.0.1:9100")

    assert found == Endpoint("http://127.0.0.1:9100", "new-ak", "new-sk", "eu-west-1")
    assert reopened.endpoint("127.0.0.1:9200") is None

"""Several gateways on one ledger: each attempt claimed once, concurrency held across replicas,
a dead replica's unsent claims taken over, once-only loops led by one replica, a schema from a
newer gateway refused. Runs on both backends unless a test says why it is PostgreSQL's alone."""

from __future__ import annotations

import threading

import pytest

from gateway.errors import LedgerError, LedgerUnavailable
from gateway.jobs.ledger import Ledger
from gateway.jobs.migrations import LATEST
from gateway.jobs.model import AttemptResult, JobStatus, NewJob
from gateway.jobs.postgres_ledger import PostgresLedger
from tests.support.ledger_claims import claim
from tests.support.postgres import PostgresServer
from tests.support.waiting import free_port, wait_for
from tests.unit.ledger.conftest import Opener


def new(key: str) -> NewJob:
    return NewJob("svc", "bucket", key, "e1", '{"Records": []}', 3, 100.0)


def test_two_replicas_claiming_at_once_never_claim_one_job_twice(open_ledger: Opener) -> None:
    replicas = [open_ledger(), open_ledger()]
    replicas[0].add([new(f"in/{n}.txt") for n in range(200)])
    claimed: list[list[str]] = [[], []]

    def claim_all(index: int) -> None:
        while jobs := claim(replicas[index], "svc", limit=3, now=101.0, timeout=30):
            claimed[index] += [j.id for j in jobs]

    threads = [threading.Thread(target=claim_all, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    every = claimed[0] + claimed[1]
    assert len(every) == len(set(every)) == 200


def test_counts_stay_exact_while_two_replicas_add_claim_and_finish_at_once(
    open_ledger: Opener,
) -> None:
    replicas = [open_ledger(), open_ledger()]

    def work(index: int) -> None:
        ledger = replicas[index]
        for n in range(40):
            ledger.add([new(f"in/{index}-{n}.txt"), new(f"in/{1 - index}-{n}.txt")])
            for job in claim(ledger, "svc", limit=2, now=101.0, timeout=30):
                result = AttemptResult(n % 3 != 0)
                ledger.finish(job.id, job.call_id, result, retry_at=101.0, now=102.0)
            ledger.counts()  # folds the changes while the other replica makes more

    threads = [threading.Thread(target=work, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    scanned = {
        ("svc", str(s)): len(replicas[0].page("svc", status=s, limit=10**6, offset=0))
        for s in JobStatus
    }
    assert sum(scanned.values()) == 80
    assert replicas[0].counts() == replicas[1].counts() == {k: n for k, n in scanned.items() if n}


def test_a_services_concurrency_holds_across_replicas(open_ledger: Opener) -> None:
    first, second = open_ledger(), open_ledger()
    first.add([new(f"in/{n}.txt") for n in range(10)])

    a = claim(first, "svc", limit=4, now=101.0, timeout=30, concurrency=4)
    b = claim(second, "svc", limit=4, now=101.0, timeout=30, concurrency=4)

    assert (len(a), len(b)) == (4, 0)
    assert second.running("svc") == 4


def test_a_restarted_gateway_queues_its_own_unsent_claims_at_once_and_no_one_elses(
    open_ledger: Opener,
) -> None:
    killed, other = open_ledger(replica="gateway"), open_ledger(replica="gateway-2")
    killed.add([new(f"in/{n}.txt") for n in range(3)])
    mine, sent = claim(killed, "svc", limit=2, now=101.0, timeout=300)
    killed.mark_sent(sent.id, sent.call_id)
    [theirs] = claim(other, "svc", limit=1, now=101.0, timeout=300)

    restarted = open_ledger(replica="gateway")  # the same name, a new process, within the lease
    assert restarted.release_own(102.0) == 1

    again = restarted.get(mine.id)
    assert again is not None and again.status == JobStatus.QUEUED and again.attempts == 0
    assert [a.outcome for a in restarted.attempts(mine.id)] == ["abandoned"]
    for job in (sent, theirs):  # sent: OpenFaaS has it; theirs: a live gateway's claim
        assert restarted.get(job.id).status == JobStatus.RUNNING  # type: ignore[union-attr]
    assert open_ledger().release_own(102.0) == 0  # a random name owns no earlier claim


def test_a_claim_never_sent_is_queued_again_when_its_lease_runs_out(ledger: Ledger) -> None:
    ledger.add([new("in/a.txt"), new("in/b.txt")])
    unsent, sent = claim(ledger, "svc", limit=2, now=101.0, timeout=300)
    ledger.mark_sent(sent.id, sent.call_id)

    assert ledger.release_expired(120.0) == 0  # the lease (30 s) still runs
    assert ledger.release_expired(132.0) == 1

    again = ledger.get(unsent.id)
    assert again is not None and again.status == JobStatus.QUEUED and again.attempts == 0
    assert [a.outcome for a in ledger.attempts(unsent.id)] == ["abandoned"]
    assert ledger.get(sent.id).status == JobStatus.RUNNING  # type: ignore[union-attr]
    [retaken] = claim(ledger, "svc", limit=1, now=133.0, timeout=300)
    assert retaken.id == unsent.id and retaken.attempts == 1


def test_a_ledger_of_a_newer_schema_is_refused_with_what_to_do(open_ledger: Opener) -> None:
    first = open_ledger()
    first.add([new("in/a.txt")])
    first.close()
    _set_version(open_ledger, LATEST + 1)

    with pytest.raises(LedgerError, match=r"schema version \d+, newer than this gateway knows"):
        open_ledger()


def _set_version(open_ledger: Opener, version: int) -> None:
    ledger = open_ledger()
    with ledger._db.write() as db:  # type: ignore[attr-defined]
        db.run("UPDATE schema_version SET version=?", (version,))
    ledger.close()


def test_one_replica_leads_a_loop_until_its_connection_ends(postgres: PostgresServer) -> None:
    # PostgreSQL's alone: a SQLite ledger has one gateway, which always leads.
    url = postgres.create_database()
    first, second = PostgresLedger(url), PostgresLedger(url)
    try:
        assert first.leads("reconciler") and first.leads("reconciler")
        assert not second.leads("reconciler")
        assert second.leads("timeouts") and not first.leads("timeouts")
        first.close()  # PostgreSQL frees its locks as the session ends, a moment later
        wait_for(lambda: second.leads("reconciler"), timeout=10, what="the lock to pass on")
    finally:
        first.close()
        second.close()


def test_an_unreachable_postgresql_at_start_is_a_clear_error() -> None:
    port = free_port()
    with pytest.raises(LedgerUnavailable, match=rf"127.0.0.1:{port}/jobs does not answer"):
        PostgresLedger(f"postgresql://oscar@127.0.0.1:{port}/jobs")


def test_a_postgresql_that_goes_away_is_unavailable_then_comes_back() -> None:
    server = PostgresServer()
    try:
        ledger = PostgresLedger(server.create_database())
        [(job, _)] = ledger.add([new("in/a.txt")])
        server.stop()

        with pytest.raises(LedgerUnavailable, match="does not answer"):
            ledger.add([new("in/b.txt")])
        with pytest.raises(LedgerUnavailable):
            ledger.ping()
        assert not ledger.leads("reconciler")

        server.start()  # the pool reconnects on its backoff (1 s, doubling): a deadline
        wait_for(lambda: _answers(ledger), timeout=30, what="the ledger to answer again")
        assert ledger.get(job.id) is not None
        assert len(ledger.add([new("in/b.txt")])) == 1
        ledger.close()
    finally:
        server.remove()


def _answers(ledger: Ledger) -> bool:
    try:
        ledger.ping()
    except LedgerUnavailable:
        return False
    return True

"""A service's last hour minute by minute, read from the ledger's pages newest first, and one
dead letter redriven without the others."""

from __future__ import annotations

from pathlib import Path

from gateway.jobs.activity import MinuteActivity, activity
from gateway.jobs.model import AttemptResult, Job, JobStatus, NewJob
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.ledger_claims import claim

NOW = 36_000.0 + 30  # half a minute into a minute


def ledger_with(tmp_path: Path, received: list[float]) -> SqliteLedger:
    ledger = SqliteLedger(tmp_path / "ledger.db")
    ledger.add(
        NewJob("svc", "b", f"in/{n}.txt", f"e{n}", "{}", 1, at) for n, at in enumerate(received)
    )
    return ledger


def test_jobs_are_counted_in_the_minute_they_arrived_by_their_status_now(tmp_path: Path) -> None:
    ledger = ledger_with(tmp_path, [NOW - 5, NOW - 20, NOW - 65])
    [started] = claim(ledger, "svc", limit=1, now=NOW, timeout=30)  # the oldest: NOW - 65
    ledger.mark_started(started.id, started.call_id, NOW + 1.5)
    ledger.add([NewJob("svc", "b", "in/old.txt", "e-old", "{}", 1, NOW - 3600 - 40)])

    window = activity(
        lambda limit, offset: ledger.page("svc", status=None, limit=limit, offset=offset),
        now=NOW,
        minutes=60,
    )

    assert len(window) == 60 and window[-1].start == NOW - 30
    assert window[-1].jobs == {"queued": 2}
    assert window[-2].jobs == {"running": 1}
    assert sum(sum(m.jobs.values()) for m in window) == 3, "the job older than an hour is left out"
    assert window[-2].latencies == [NOW + 1.5 - (NOW - 65)]


def test_the_ledger_is_read_page_by_page_until_the_window_ends(tmp_path: Path) -> None:
    ledger = ledger_with(tmp_path, [NOW - n * 0.01 for n in range(1200)] + [NOW - 7200])
    reads: list[int] = []

    def page(limit: int, offset: int) -> list[Job]:
        reads.append(offset)
        return ledger.page("svc", status=None, limit=limit, offset=offset)

    window = activity(page, now=NOW, minutes=5)

    assert reads == [0, 500, 1000]
    assert window[-1].jobs == {"queued": 1200}


def test_the_latency_of_a_minute_is_its_median_and_its_longest() -> None:
    minute = MinuteActivity(start=0.0, latencies=[0.2, 0.1, 3.0])

    assert minute.latency_median == 0.2 and minute.latency_max == 3.0
    assert MinuteActivity(start=0.0).latency_median is None


def test_one_dead_letter_can_be_requeued_without_the_others(tmp_path: Path) -> None:
    ledger = ledger_with(tmp_path, [100.0, 101.0])
    for job in claim(ledger, "svc", limit=2, now=102.0, timeout=30):
        ledger.finish(
            job.id,
            job.call_id,
            AttemptResult(False, 500, 0.1, [], "boom", "exit 3"),
            retry_at=None,
            now=103.0,
        )
    first, second = ledger.page("svc", status="dead", limit=10, offset=0)

    assert ledger.requeue_dead("svc", 200.0, job_id=first.id) == 1
    assert ledger.requeue_dead("other", 200.0, job_id=second.id) == 0, "another service's name"

    assert ledger.get(first.id).status == JobStatus.QUEUED  # type: ignore[union-attr]
    assert ledger.get(second.id).status == JobStatus.DEAD  # type: ignore[union-attr]

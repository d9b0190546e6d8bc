"""The dispatcher sleeps until something can change: it never spins on a backlog."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from contract.paths import StoragePath
from gateway.jobs.batching import BatchSizer, claim_terms
from gateway.jobs.dispatcher import MAX_SLEEP, Dispatcher
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import JobStatus, NewJob
from gateway.jobs.sqlite_ledger import SqliteLedger
from gateway.services.model import Service
from gateway.tokens import CallbackSigner
from tests.support.ledger_claims import claim

NOW = 1000.0


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.db")


def dispatcher(ledger: SqliteLedger, *, now: float) -> Dispatcher:
    # The sleep decision reads only the ledger and the clock: nothing is sent or looked up.
    return Dispatcher(
        ledger=ledger, openfaas=cast(Any, None), registry=cast(Any, None),
        signer=CallbackSigner("k"), public_url="http://gateway", metrics=Metrics(ledger.counts),
        retry_base=1.0, retry_cap=60.0, clock=lambda: now,
    )  # fmt: skip


def job(key: str, *, at: float) -> NewJob:
    return NewJob("svc", "bucket", key, key, '{"Records": []}', 3, at)


def test_a_backlog_held_back_by_the_concurrency_limit_waits_for_a_wake_up(
    ledger: SqliteLedger,
) -> None:
    ledger.add([job(f"in/{n}", at=NOW - 5) for n in range(10)])
    claim(ledger, "svc", limit=4, now=NOW, timeout=300)  # the service's 4 slots are taken

    waited = dispatcher(ledger, now=NOW + 0.001).seconds_to_wait(passed_at=NOW)

    assert waited == MAX_SLEEP  # not 0: a callback's wake-up frees a slot, not the clock


def test_a_retry_due_later_is_waited_for_exactly(ledger: SqliteLedger) -> None:
    ledger.add([job("in/retry", at=NOW + 0.25)])

    waited = dispatcher(ledger, now=NOW).seconds_to_wait(passed_at=NOW)

    assert waited == pytest.approx(0.25)


def test_a_job_that_became_due_during_the_pass_is_taken_at_once(ledger: SqliteLedger) -> None:
    ledger.add([job("in/just-due", at=NOW + 0.01)])

    waited = dispatcher(ledger, now=NOW + 0.02).seconds_to_wait(passed_at=NOW)

    assert waited == 0.0


def test_an_idle_ledger_sleeps_the_longest(ledger: SqliteLedger) -> None:
    assert dispatcher(ledger, now=NOW).seconds_to_wait(passed_at=NOW) == MAX_SLEEP


class RecordingLedger(SqliteLedger):
    """A real SQLite ledger that notes which services a pass asked about, in order, and claims
    nothing (so that nothing is sent)."""

    calls: list[str]

    def services_with_due(self, now: float) -> list[str]:
        self.calls.append("services_with_due")
        return super().services_with_due(now)

    def claim_batches(self, service: str, **_: Any) -> list[list[Any]]:
        self.calls.append(f"claim {service}")
        return []


def test_a_service_woken_for_is_claimed_before_the_ledger_is_asked_which_are_due(
    tmp_path: Path,
) -> None:
    ledger = RecordingLedger(tmp_path / "ledger.db")
    ledger.calls = []
    ledger.add([job(f"in/{n}", at=NOW - 5) for n in range(2)])
    registry = SimpleNamespace(find=lambda name: Service(name, StoragePath.parse("b/in"), None))
    woken = dispatcher(ledger, now=NOW)
    woken._registry = cast(Any, registry)

    woken.wake(["svc"])
    woken._pass(NOW)
    woken._pass(NOW)  # a hint is for one pass

    assert ledger.calls == [
        "claim svc", "services_with_due", "services_with_due", "claim svc",
    ]  # fmt: skip


class RecordingOpenFaaS:
    """Stands in for the OpenFaaS gateway, which no unit test runs: records each async call
    and answers 202 (tests/integration send through the real one)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.called = threading.Event()

    def invoke_async(self, name: str, body: bytes, *, call_id: str, **_: Any) -> int:
        self.calls.append((name, call_id))
        self.called.set()
        return 202


def test_a_job_claimed_by_its_insert_is_sent_without_a_pass_and_its_lease_ended(
    tmp_path: Path,
) -> None:
    ledger = RecordingLedger(tmp_path / "ledger.db")
    ledger.calls = []
    service = Service("svc", StoragePath.parse("b/in"), None)
    openfaas = RecordingOpenFaaS()
    sending = dispatcher(ledger, now=NOW)
    sending._registry = cast(Any, SimpleNamespace(find=lambda name: service))
    sending._openfaas = cast(Any, openfaas)
    terms = claim_terms([service], sizer=sending.sizer, now=NOW)

    [(made, _)] = ledger.add([job("in/a", at=NOW)], visible=sending.arrived, claim=terms)

    assert openfaas.called.wait(timeout=10)
    assert openfaas.calls == [("svc", made.call_id)] and ledger.calls == []  # no pass, no claim
    sending._pool.shutdown(wait=True)  # the send has ended: its lease is ended after the 202
    assert ledger.release_expired(NOW + 3600) == 0
    sent = ledger.get(made.id)
    assert sent is not None and sent.status == JobStatus.RUNNING and sent.attempts == 1


def test_a_busy_service_filling_batches_is_not_claimed_at_insert(tmp_path: Path) -> None:
    service = Service("svc", StoragePath.parse("b/in"), None, batch_size=10, batch_window=0.5)
    sizer = BatchSizer()
    sizer.observe("svc", 0.01)  # timed: its batches would be of 10

    [terms] = claim_terms([service], sizer=sizer, now=NOW).values()
    [plain] = claim_terms([replace(service, batch_window=0.0)], sizer=sizer, now=NOW).values()

    assert terms.hold_when_busy and not plain.hold_when_busy
    assert claim_terms([replace(service, concurrency=0)], sizer=sizer, now=NOW) == {}

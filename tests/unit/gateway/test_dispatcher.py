"""The dispatcher sleeps until something can change: it never spins on a backlog."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from contract.paths import StoragePath
from gateway.jobs.dispatcher import MAX_SLEEP, Dispatcher
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import NewJob
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

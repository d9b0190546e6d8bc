"""A batch's callback settles each job on its own; its URL is a single job's when it carries one;
batches are sized by what a service's jobs took, and only a busy service waits to fill one."""

from __future__ import annotations

import json
from typing import Any, cast

from contract.paths import StoragePath
from gateway.jobs.batch_answers import read_batch
from gateway.jobs.batching import BUDGET_SECONDS, BatchSizer, hold_until
from gateway.jobs.dispatcher import Dispatcher
from gateway.jobs.metrics import Metrics
from gateway.jobs.model import Job, JobStatus
from gateway.services.model import Service
from gateway.tokens import CallbackSigner, callback_jobs

OK = {"X-Function-Status": "200", "X-Duration-Seconds": "0.3"}
SERVICE = Service("svc", StoragePath.parse("b/in"), None, batch_size=40)


def answer(*results: dict[str, Any]) -> bytes:
    return json.dumps({"status": "partial", "results": list(results)}).encode()


def test_each_job_of_a_batch_gets_its_own_outcome() -> None:
    body = answer(
        {"job": "j1", "status": "succeeded", "outputs": ["out/a"], "duration_seconds": 0.1},
        {"job": "j2", "status": "failed", "http_status": 500, "error": "exit 3", "log_tail": "t"},
        {"job": "j3", "status": "failed", "http_status": 404, "error": "input gone"},
    )

    outcomes = dict(read_batch(OK, body, ["j1", "j2", "j3"]))

    assert outcomes["j1"].succeeded and outcomes["j1"].outputs == ["out/a"]
    assert not outcomes["j2"].succeeded and outcomes["j2"].retryable
    assert outcomes["j2"].log_tail == "t" and outcomes["j2"].error == "HTTP 500: exit 3"
    assert not outcomes["j3"].succeeded and not outcomes["j3"].retryable


def test_a_job_the_answer_does_not_name_is_retried() -> None:
    outcomes = dict(read_batch(OK, answer({"job": "j1", "status": "succeeded"}), ["j1", "j2"]))

    assert outcomes["j1"].succeeded
    assert not outcomes["j2"].succeeded and outcomes["j2"].retryable


def test_a_failed_invocation_fails_every_job_of_its_batch_for_a_retry() -> None:
    outcomes = read_batch({"X-Function-Status": "502"}, b"upstream died", ["j1", "j2"])

    assert [(o.succeeded, o.retryable) for _, o in outcomes] == [(False, True), (False, True)]


def test_an_older_supervisor_answering_in_record_order_is_understood() -> None:
    body = answer(
        {"bucket": "b", "key": "in/1", "outputs": ["o/1"]}, {"bucket": "b", "key": "in/2"}
    )

    outcomes = read_batch(OK, body, ["j1", "j2"])

    assert [o.succeeded for _, o in outcomes] == [True, True]
    assert outcomes[0][1].outputs == ["o/1"]


def running(job_id: str, call_id: str = "c1") -> Job:
    return Job(
        job_id, "svc", "b", f"in/{job_id}", "e", '{"Records": []}', JobStatus.RUNNING, 1, 3,
        100.0, 100.0, 100.0, call_id, 100.0, None, None, 130.0, None,
    )  # fmt: skip


def dispatcher(signer: CallbackSigner) -> Dispatcher:
    return Dispatcher(
        ledger=cast(Any, None), openfaas=cast(Any, None), registry=cast(Any, None), signer=signer,
        public_url="http://gw", metrics=Metrics(dict), retry_base=1.0, retry_cap=60.0,
    )  # fmt: skip


def test_a_batch_of_one_has_the_single_jobs_callback_url() -> None:
    signer = CallbackSigner("key")

    url = dispatcher(signer).callback_url([running("j1")])

    assert url == f"http://gw/callbacks/j1?call=c1&sig={signer.sign('j1', 'c1')}"


def test_a_batch_callback_url_is_signed_for_all_of_its_jobs() -> None:
    signer = CallbackSigner("key")
    url = dispatcher(signer).callback_url([running("j1"), running("j2"), running("j3")])
    query = dict(part.split("=", 1) for part in url.split("?", 1)[1].split("&"))

    jobs = callback_jobs("j1", query["batch"])

    assert jobs == ["j1", "j2", "j3"]
    assert signer.valid(",".join(jobs), "c1", query["sig"])
    assert not signer.valid(",".join(["j1", "j2", "other"]), "c1", query["sig"])


def test_batches_are_sized_by_what_the_services_jobs_took() -> None:
    sizer = BatchSizer()
    assert sizer.size(SERVICE) == 1  # nothing timed yet: one at a time

    sizer.observe("svc", 0.004)
    assert sizer.size(SERVICE) == 40  # short jobs: the service's most
    for _ in range(30):
        sizer.observe("svc", 0.4)
    assert sizer.size(SERVICE) == int(BUDGET_SECONDS / 0.4)  # what fits in the budget


def test_short_jobs_slowed_by_eight_neighbours_on_two_cores_still_fill_a_default_batch() -> None:
    # A 1 KiB copy's invocation took about 0.15 s a job at 8 at once on two shared cores
    # (issue 15): the budget must not shrink its batches to a few jobs, each invocation
    # costing the platform some 13-16 ms of CPU.
    sizer = BatchSizer()
    default = Service("svc", StoragePath.parse("b/in"), None)
    sizer.observe("svc", 0.15)

    assert default.batch_size == 30
    assert sizer.size(default) >= 20


def test_only_a_busy_service_waits_to_fill_a_batch() -> None:
    windowed = Service("svc", StoragePath.parse("b/in"), None, batch_window=0.05)

    assert hold_until(windowed, busy=False, due=1, oldest=100.0, size=10) < 100.0
    assert hold_until(windowed, busy=True, due=1, oldest=100.0, size=10) == 100.05
    assert hold_until(windowed, busy=True, due=10, oldest=100.0, size=10) < 100.0
    assert hold_until(SERVICE, busy=True, due=1, oldest=100.0, size=10) < 100.0

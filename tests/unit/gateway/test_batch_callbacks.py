"""POST /callbacks for a batch, through the gateway's app: signed for all of its jobs, each job
settled on its own; a URL with a job added to its batch is refused."""

# The app's fakes are test_service_api's fixtures, imported: their names are parameters.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from contract.results import AttemptRecord, call_json, call_key
from gateway.assembly import Parts, assemble
from gateway.config import GatewayConfig
from gateway.jobs.model import JobStatus, NewJob
from tests.unit.gateway.test_service_api import (  # noqa: F401 - fixtures
    FakeFaasCli,
    FakeOpenFaaS,
    FakeStorage,
    config,
    faas_cli,
    openfaas,
    storage,
)


@pytest.fixture
def parts(
    config: GatewayConfig, openfaas: FakeOpenFaaS, storage: FakeStorage, faas_cli: FakeFaasCli
) -> Iterator[Parts]:
    built = assemble(config, openfaas=openfaas, storage=storage, faas_cli=faas_cli)
    yield built
    built.ledger.close()


def claimed(parts: Parts, count: int) -> list[Any]:
    parts.ledger.add(
        [NewJob("svc", "b", f"in/{n}", f"e{n}", '{"Records": []}', 3, 100.0) for n in range(count)]
    )
    [batch] = parts.ledger.claim_batches("svc", size=10, now=101.0, timeout=30, concurrency=1)
    return batch


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def results(*statuses: tuple[str, str]) -> bytes:
    answer = [{"job": j, "status": s, "http_status": 200 if s == "succeeded" else 500,
               "error": "" if s == "succeeded" else "exit 3"} for j, s in statuses]  # fmt: skip
    return json.dumps({"status": "partial", "results": answer}).encode()


def test_a_batch_callback_settles_each_of_its_jobs(parts: Parts) -> None:
    batch = claimed(parts, 3)
    url = parts.dispatcher.callback_url(batch)
    client: FlaskClient = parts.app.test_client()
    ids = [j.id for j in batch]

    answer = client.post(
        local(url),
        data=results((ids[0], "succeeded"), (ids[1], "failed"), (ids[2], "succeeded")),
        headers={"X-Function-Status": "200", "X-Duration-Seconds": "0.03"},
    )

    assert answer.status_code == 200, answer.get_data(as_text=True)
    states = [parts.ledger.get(i).status for i in ids]  # type: ignore[union-attr]
    assert states == [JobStatus.SUCCEEDED, JobStatus.QUEUED, JobStatus.SUCCEEDED]
    assert answer.get_json()["jobs"] == {ids[0]: "succeeded", ids[1]: "queued", ids[2]: "succeeded"}


def test_a_batch_callback_url_with_a_job_added_is_refused(parts: Parts) -> None:
    batch = claimed(parts, 2)
    other = parts.ledger.add([NewJob("svc", "b", "in/x", "ex", "{}", 3, 100.0)])[0][0]
    url = parts.dispatcher.callback_url(batch) + f",{other.id}"

    answer = parts.app.test_client().post(
        local(url),
        data=b"{}",
        headers={"X-Function-Status": "200"},
    )

    assert answer.status_code == 403


class RecordingStorage(FakeStorage):
    """The fake MinIO with objects to read: the results bucket's call records."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[tuple[str, str], bytes] = {}

    def read(self, bucket: str, key: str) -> bytes | None:
        return self.records.get((bucket, key))


def test_a_failed_batch_settles_the_jobs_its_call_record_says_succeeded_and_retries_the_rest(
    config: GatewayConfig, openfaas: FakeOpenFaaS, faas_cli: FakeFaasCli
) -> None:
    storage = RecordingStorage()
    parts = assemble(config, openfaas=openfaas, storage=storage, faas_cli=faas_cli)
    try:
        batch = claimed(parts, 3)
        ids, call = [j.id for j in batch], batch[0].call_id
        done = AttemptRecord(
            service="svc", job_id=ids[0], attempt=1, call_id=call, status="succeeded",
            http_status=200, outputs=("out/0",), log_tail="done", finished_at=101.5,
        )  # fmt: skip
        key = (config.results_bucket, call_key("svc", call))
        storage.records[key] = call_json("svc", call, [done])

        answer = parts.app.test_client().post(
            local(parts.dispatcher.callback_url(batch)),
            data=b"upstream replica died",  # the provider's 502: the whole invocation failed
            headers={"X-Function-Status": "502", "X-Duration-Seconds": "0.4"},
        )

        assert answer.status_code == 200, answer.get_data(as_text=True)
        jobs = [parts.ledger.get(i) for i in ids]
        assert [j.status for j in jobs] == [  # type: ignore[union-attr]
            JobStatus.SUCCEEDED, JobStatus.QUEUED, JobStatus.QUEUED,
        ]  # fmt: skip
        assert jobs[0].outputs == ["out/0"]  # type: ignore[union-attr]
    finally:
        parts.ledger.close()

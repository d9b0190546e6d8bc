"""contract.batch: a batch of one is a job's bytes; a batch of several survives the wire."""

from __future__ import annotations

import json

import pytest

from contract.batch import JOBS_FIELD, MAX_BATCH, Batch
from contract.errors import ContractError
from contract.job import Job
from tests.support.events import minio_record


def job(n: int) -> Job:
    key = f"in/file {n}.txt"
    return Job(
        service="svc", bucket="photos", key=key, identity=f"e{n}", job_id=f"j{n}", attempt=1,
        event_name="s3:ObjectCreated:Put", record=minio_record("photos", key, etag=f"e{n}"),
    )  # fmt: skip


def test_a_batch_of_one_is_byte_for_byte_the_single_job() -> None:
    assert Batch((job(1),)).to_json() == job(1).to_json()


def test_a_batch_of_several_survives_the_wire_in_order() -> None:
    batch = Batch((job(1), job(2), job(3)))

    document = json.loads(batch.to_json())

    assert len(document["Records"]) == len(document[JOBS_FIELD]) == 3
    assert Batch.from_document(document) == batch


def test_each_job_of_a_batch_keeps_its_own_one_record_event() -> None:
    read = Batch.from_document(json.loads(Batch((job(1), job(2))).to_json()))

    assert [j.event_json() for j in read.jobs] == [job(1).event_json(), job(2).event_json()]


def test_a_batch_whose_records_and_jobs_disagree_is_refused() -> None:
    document = json.loads(Batch((job(1), job(2))).to_json())
    document["Records"].pop()

    with pytest.raises(ContractError, match="one record per job"):
        Batch.from_document(document)


def test_a_batch_holds_at_most_max_batch_jobs() -> None:
    with pytest.raises(ContractError, match=f"1 to {MAX_BATCH}"):
        Batch(tuple(job(n) for n in range(MAX_BATCH + 1)))

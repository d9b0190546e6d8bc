"""contract.job: what the gateway sends is what the supervisor reads, and the script's $EVENT is
MinIO's event without the job's own fields."""

from __future__ import annotations

import json

import pytest

from contract.errors import ContractError
from contract.job import JOB_FIELD, Job, event_json
from tests.support.events import minio_record

RECORD = minio_record("photos", "in/a b+c.png", etag="e1", versionId="v1")


def _job(**changes: object) -> Job:
    fields: dict[str, object] = {
        "service": "grayify",
        "bucket": "photos",
        "key": "in/a b+c.png",
        "identity": "v1",
        "job_id": "j1",
        "attempt": 2,
        "event_name": "s3:ObjectCreated:Put",
        "record": RECORD,
        **changes,
    }
    return Job(**fields)  # type: ignore[arg-type]


def test_a_job_survives_the_wire() -> None:
    job = _job()

    assert Job.from_json(job.to_json()) == job


def test_the_script_gets_the_minio_event_without_the_job_fields() -> None:
    sent = json.loads(_job().to_json())
    event = json.loads(_job().event_json())

    assert JOB_FIELD in sent and JOB_FIELD not in event
    assert event == {k: v for k, v in sent.items() if k != JOB_FIELD}
    assert event["Records"] == [RECORD]


def test_the_object_is_the_jobs_decoded_key_and_the_records_version() -> None:
    created = _job().created()

    assert (created.bucket, created.key, created.version_id, created.etag) == (
        "photos", "in/a b+c.png", "v1", "e1",
    )  # fmt: skip


def test_a_stored_event_of_an_older_gateway_still_makes_the_job() -> None:
    stored = event_json(
        bucket="photos", key="in/a b+c.png", event_name="s3:ObjectCreated:Put", record=RECORD
    )

    job = Job.from_stored(
        service="grayify", job_id="j1", attempt=2, bucket="photos", key="in/a b+c.png",
        identity="v1", event=stored,
    )  # fmt: skip

    assert job == _job()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"key": "in/\x00"}, "OscarJob.key: holds a NUL character"),
        ({"attempt": 0}, "OscarJob.attempt: expected a positive integer"),
        ({"service": 7}, "OscarJob.service: expected a string, found int"),
    ],
)
def test_a_broken_job_is_refused_with_the_field(change: dict[str, object], reason: str) -> None:
    sent = json.loads(_job().to_json())
    sent[JOB_FIELD].update(change)

    with pytest.raises(ContractError, match=reason):
        Job.from_json(json.dumps(sent).encode())

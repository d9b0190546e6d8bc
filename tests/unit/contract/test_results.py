"""The result record both sides share (`contract.results`): its key, its shape, its checks."""

from __future__ import annotations

import json

import pytest

from contract.errors import BadJob, BadRecord
from contract.job import Job
from contract.results import AttemptRecord, job_prefix, result_key
from tests.support.events import minio_record


def record(**fields: object) -> AttemptRecord:
    base: dict[str, object] = {
        "service": "stamp", "job_id": "0f3a", "attempt": 2, "call_id": "c2",
        "status": "succeeded", "http_status": 200, "outputs": ("out/a.txt",),
        "duration_seconds": 0.5, "exit_code": 0, "log_tail": "ok", "finished_at": 12.5,
    }  # fmt: skip
    return AttemptRecord(**{**base, **fields})  # type: ignore[arg-type]


def test_a_record_is_keyed_by_service_job_and_attempt_under_one_folder_per_job() -> None:
    assert result_key("stamp", "0f3a", 2) == "stamp/0f3a/2.json"
    assert result_key("stamp", "0f3a", 2).startswith(job_prefix("stamp", "0f3a"))
    assert record().key == "stamp/0f3a/2.json"


@pytest.mark.parametrize("service, job_id", [("a/b", "j"), ("s", ".."), ("s", ""), ("s", "a b")])
def test_a_name_that_would_leave_its_folder_names_no_key(service: str, job_id: str) -> None:
    with pytest.raises(BadRecord, match="expected letters, digits"):
        result_key(service, job_id, 1)


def test_a_record_reads_back_as_it_was_written() -> None:
    written = record(repeat_of=1)

    assert AttemptRecord.from_json(written.to_json()) == written
    assert json.loads(written.to_json())["version"] == 1
    assert written.succeeded and not record(status="failed").succeeded


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"version": 2}, "version: expected 1"),
        ({"status": "maybe"}, "status: expected"),
        ({"outputs": "out/a.txt"}, "outputs: expected a list"),
        ({"attempt": 0}, "attempt: expected an integer of at least 1"),
        ({"job": None}, "job: expected a string"),
        ({"duration_seconds": -1}, "duration_seconds: expected a number"),
    ],
)
def test_a_malformed_record_says_which_field_is_wrong(
    change: dict[str, object], reason: str
) -> None:
    document = {**json.loads(record().to_json()), **change}

    with pytest.raises(BadRecord, match=reason):
        AttemptRecord.from_json(json.dumps(document).encode())


def test_a_record_that_is_not_json_is_bad() -> None:
    with pytest.raises(BadRecord, match="JSON object"):
        AttemptRecord.from_json(b"\xff{")


def job(**fields: object) -> Job:
    base: dict[str, object] = {
        "service": "stamp", "bucket": "in", "key": "in/a.txt", "identity": "e1", "job_id": "j1",
        "attempt": 1, "event_name": "s3:ObjectCreated:Put",
        "record": minio_record("in", "in/a.txt"),
    }  # fmt: skip
    return Job(**{**base, **fields})  # type: ignore[arg-type]


def test_a_job_carries_its_call_and_results_bucket_when_the_gateway_gives_them() -> None:
    sent = job(call_id="c1", results_bucket="oscar-results")

    fields = json.loads(sent.to_json())["OscarJob"]
    again = Job.from_json(sent.to_json())

    assert (fields["call"], fields["results"]) == ("c1", "oscar-results")
    assert (again.call_id, again.results_bucket) == ("c1", "oscar-results")


def test_a_job_without_them_reads_as_before() -> None:
    plain = job()

    assert "call" not in json.loads(plain.to_json())["OscarJob"]
    assert Job.from_json(plain.to_json()).results_bucket == ""


def test_a_results_bucket_of_the_wrong_kind_is_a_bad_job() -> None:
    document = json.loads(job().to_json())
    document["OscarJob"]["results"] = 7

    with pytest.raises(BadJob, match=r"OscarJob\.results: expected a string"):
        Job.from_document(document)

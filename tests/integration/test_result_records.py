"""Result records on a real MinIO: the function (watchdog, supervisor) records each job's
attempt in a results bucket it makes itself, answers a repeated delivery of a succeeded job from
its record, and the gateway's storage client reads the record back as the settler does."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

import requests
from minio import Minio

from contract.job import Job
from contract.results import AttemptRecord, result_key
from gateway.clients.storage import Storage
from provider.sandbox.replica import Replica
from tests.support.events import minio_record
from tests.support.minio_server import ACCESS_KEY, SECRET_KEY, MinioInstance

Start = Callable[..., Replica]


def send(function: Replica, job: Job) -> requests.Response:
    return requests.post(
        function.url,
        data=job.to_json(),
        headers={"Content-Type": "application/json", "X-Oscar-Input": "event"},
        timeout=60,
    )


def test_a_real_function_records_each_attempt_and_answers_a_repeat_from_its_record(
    run_function: Start, s3: Minio, buckets: tuple[str, str], minio_server: MinioInstance
) -> None:
    source, _ = buckets
    results = f"results-{uuid.uuid4().hex[:8]}"  # not there yet: the function makes it
    etag = str(s3.put_object(source, "in/note.txt", io.BytesIO(b"hello\n"), 6).etag)
    function = run_function("ok")

    def job(attempt: int, call: str) -> Job:
        return Job(
            service="ok", bucket=source, key="in/note.txt", identity=etag, job_id="job1",
            attempt=attempt, event_name="s3:ObjectCreated:Put",
            record=minio_record(source, "in/note.txt", etag=etag, size=6),
            call_id=call, results_bucket=results,
        )  # fmt: skip

    first = send(function, job(1, "c1"))
    again = send(function, job(2, "c2"))

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    [ran], [repeat] = first.json()["results"], again.json()["results"]
    assert "repeat_of" not in ran and repeat["repeat_of"] == 1
    assert repeat["outputs"] == ran["outputs"] == ["out/note.txt"]
    gateway_storage = Storage(
        f"127.0.0.1:{minio_server.port}", access_key=ACCESS_KEY, secret_key=SECRET_KEY,
        secure=False, target_arn="arn:minio:sqs::OSCAR:webhook",
    )  # fmt: skip
    one, two = (
        AttemptRecord.from_json(body)
        for body in (
            gateway_storage.read(results, result_key("ok", "job1", n)) or b"" for n in (1, 2)
        )
    )
    assert one.succeeded and one.call_id == "c1" and one.outputs == ("out/note.txt",)
    assert two.succeeded and two.call_id == "c2" and two.repeat_of == 1
    assert gateway_storage.read(results, result_key("ok", "job1", 3)) is None
    assert gateway_storage.read("no-such-bucket-here", "x.json") is None

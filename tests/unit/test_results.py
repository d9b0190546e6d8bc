"""The supervisor records each job's attempt and does not run a job that already succeeded
(`supervisor.results` through `supervisor.job.Runner`, over an in-memory storage)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contract.job import Job
from contract.results import AttemptRecord, result_key
from supervisor.errors import BadRequest, ScriptFailed, StorageUnavailable
from supervisor.event import parse
from supervisor.job import Runner
from supervisor.results import ResultBook
from tests.support.events import minio_record
from tests.unit.fake_storage import DownStorage, FakeStorage

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig

RESULTS = "oscar-results"
# Each run leaves a mark in a file of its own, so the test counts the script's runs.
STAMPED = (
    'echo run >> "$RUNS"\n'
    'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH" .txt)-$(date +%s%N).txt"'
)


def job(attempt: int = 1, *, call: str = "c1", results: str = RESULTS, job_id: str = "j1") -> Job:
    return Job(
        service="stamp",
        bucket="in",
        key="in/a.txt",
        identity="e1",
        job_id=job_id,
        attempt=attempt,
        event_name="s3:ObjectCreated:Put",
        record=minio_record("in", "in/a.txt", etag="e1"),
        call_id=call,
        results_bucket=results,
    )


def runner(
    make_config: MakeConfig, storage: FakeStorage, runs: Path, body: str = STAMPED
) -> Runner:
    config = make_config(body, INPUT_PATH="in/in", OUTPUT_PATH="out/out", RUNS=str(runs))
    return Runner(config=config, storage=storage, results=ResultBook(storage, clock=lambda: 7.0))


def record(storage: FakeStorage, attempt: int) -> AttemptRecord:
    return AttemptRecord.from_json(storage.objects[(RESULTS, result_key("stamp", "j1", attempt))])


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage({("in", "in/a.txt"): b"hello\n"})


def test_a_succeeded_attempt_is_recorded_with_its_outputs_before_the_answer(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    [result] = runner(make_config, storage, tmp_path / "runs").run_event(parse(job().to_json()))

    written = record(storage, 1)
    assert written.succeeded and written.http_status == 200
    assert (written.service, written.job_id, written.attempt, written.call_id) == (
        "stamp", "j1", 1, "c1",
    )  # fmt: skip
    assert list(written.outputs) == result.outputs and len(result.outputs) == 1
    assert written.exit_code == 0 and written.finished_at == 7.0 and written.repeat_of is None


def test_a_repeated_delivery_of_a_succeeded_job_answers_with_its_result_and_runs_nothing(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    run = runner(make_config, storage, runs)
    [first] = run.run_event(parse(job(1, call="c1").to_json()))
    uploads = dict(storage.uploads)

    [same] = run.run_event(parse(job(1, call="c1").to_json()))  # NATS delivers it again
    [later] = run.run_event(parse(job(2, call="c2").to_json()))  # the gateway retried it

    assert runs.read_text() == "run\n"  # the script ran once
    assert storage.uploads == uploads  # one output, named by the one run's timestamp
    assert same.outputs == later.outputs == first.outputs
    assert later.repeat_of == 1 and later.as_json()["repeat_of"] == 1
    assert "repeat_of" not in first.as_json()
    second = record(storage, 2)  # the retried attempt has its own record, naming the first
    assert second.succeeded and second.repeat_of == 1 and second.call_id == "c2"


def test_a_failed_attempt_is_recorded_and_the_next_delivery_runs_the_script_again(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    flaky = 'echo run >> "$RUNS"\n[ "$(wc -l < "$RUNS")" -gt 1 ] || { echo broken >&2; exit 3; }'
    run = runner(make_config, storage, runs, flaky)

    with pytest.raises(ScriptFailed):
        run.run_event(parse(job(1).to_json()))
    failed = record(storage, 1)
    run.run_event(parse(job(2, call="c2").to_json()))

    assert not failed.succeeded and failed.http_status == 500 and failed.exit_code == 3
    assert "broken" in failed.log_tail and "code 3" in failed.error
    assert runs.read_text() == "run\nrun\n"
    assert record(storage, 2).succeeded


def test_a_job_without_a_results_bucket_is_not_recorded(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    run = runner(make_config, storage, tmp_path / "runs")

    run.run_event(parse(job(results="").to_json()))
    run.run_event(parse(job(results="").to_json()))

    assert (tmp_path / "runs").read_text() == "run\nrun\n"  # as before: no book, no skip
    assert not any(bucket == RESULTS for bucket, _ in storage.objects)


def test_records_that_cannot_be_read_fail_the_attempt_as_unavailable_without_running_it(
    make_config: MakeConfig, tmp_path: Path
) -> None:
    storage = DownStorage({("in", "in/a.txt"): b"hello\n"})

    with pytest.raises(StorageUnavailable) as raised:
        runner(make_config, storage, tmp_path / "runs").run_event(parse(job().to_json()))

    assert raised.value.status == 503  # retried by the gateway
    assert not (tmp_path / "runs").exists()


def test_a_record_that_cannot_be_written_leaves_the_answer_to_the_callback(
    make_config: MakeConfig, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class WriteFails(FakeStorage):
        def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
            raise StorageUnavailable("MinIO at fake:9000 failed during a write: disk full")

    storage = WriteFails({("in", "in/a.txt"): b"hello\n"})

    [result] = runner(make_config, storage, tmp_path / "runs").run_event(parse(job().to_json()))

    assert len(result.outputs) == 1
    assert "was not recorded" in caplog.text and "disk full" in caplog.text


def test_an_unreadable_record_is_not_taken_for_a_success(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    storage.objects[(RESULTS, result_key("stamp", "j1", 1))] = b'{"version": 1, "status": "?"}'

    runner(make_config, storage, tmp_path / "runs").run_event(parse(job(2).to_json()))

    assert (tmp_path / "runs").read_text() == "run\n"


def test_a_job_whose_id_cannot_name_a_record_is_refused_with_a_reason(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    body = json.loads(job().to_json())
    body["OscarJob"]["id"] = "../../etc"

    with pytest.raises(BadRequest, match="job id"):
        runner(make_config, storage, tmp_path / "runs").run_event(parse(json.dumps(body).encode()))

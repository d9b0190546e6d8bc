"""A batch's results are recorded as one call record (`contract.results.call_key`), and a
repeated delivery of the batch runs no job that succeeded (`supervisor.results` through the
supervisor's app, over an in-memory storage)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from contract.batch import Batch
from contract.results import call_key, read_call, result_key
from supervisor.app import create_app
from supervisor.job import Runner
from supervisor.results import ResultBook
from tests.unit.fake_storage import FakeStorage
from tests.unit.test_results import RESULTS, STAMPED, job

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from tests.unit.conftest import MakeConfig

KEYS = ("in/a.txt", "in/b.txt", "in/c.txt")


def batch_of(
    call: str = "c1", *, attempt: int = 1, keys: tuple[str, ...] = KEYS, first: int = 0
) -> bytes:
    """A batch of a job per key, `j<first>`, `j<first + 1>`..."""
    jobs = []
    for index, key in enumerate(keys, start=first):
        one = job(attempt, call=call, job_id=f"j{index}")
        record = {**one.record, "s3": {**one.record["s3"], "object": {"key": key, "eTag": "e"}}}
        jobs.append(replace(one, key=key, record=record))
    return Batch(tuple(jobs)).to_json()


@pytest.fixture
def storage() -> FakeStorage:
    return FakeStorage({("in", key): b"hello\n" for key in KEYS})


@pytest.fixture
def client(make_config: MakeConfig, storage: FakeStorage, tmp_path: Path) -> FlaskClient:
    config = make_config(
        STAMPED, INPUT_PATH="in/in", OUTPUT_PATH="out/out", RUNS=str(tmp_path / "runs")
    )
    book = ResultBook(storage, clock=lambda: 7.0)
    return create_app(
        config, runner=Runner(config=config, storage=storage, results=book)
    ).test_client()


def records(storage: FakeStorage) -> list[tuple[str, str]]:
    return sorted(key for key in storage.objects if key[0] == RESULTS)


def test_a_batch_is_recorded_in_one_call_record_with_a_record_per_job(
    client: FlaskClient, storage: FakeStorage
) -> None:
    answer = client.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})

    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert records(storage) == [(RESULTS, call_key("stamp", "c1"))]  # one object, no others
    written = read_call(storage.objects[(RESULTS, call_key("stamp", "c1"))])
    assert [(r.job_id, r.attempt, r.call_id, r.status) for r in written] == [
        (f"j{i}", 1, "c1", "succeeded") for i in range(3)
    ]
    answered = {r["job"]: r["outputs"] for r in answer.get_json()["results"]}
    assert {r.job_id: list(r.outputs) for r in written} == answered


def test_a_repeated_delivery_of_a_batch_runs_none_of_its_succeeded_jobs_again(
    client: FlaskClient, storage: FakeStorage, tmp_path: Path
) -> None:
    first = client.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})
    uploads = dict(storage.uploads)

    again = client.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})

    assert (tmp_path / "runs").read_text() == "run\n" * 3  # three scripts, each once
    assert storage.uploads == uploads
    assert [r["repeat_of"] for r in again.get_json()["results"]] == [1, 1, 1]
    assert [r["outputs"] for r in again.get_json()["results"]] == [
        r["outputs"] for r in first.get_json()["results"]
    ]
    rewritten = read_call(storage.objects[(RESULTS, call_key("stamp", "c1"))])
    assert all(r.succeeded and r.repeat_of == 1 for r in rewritten)


def test_a_batch_of_one_is_recorded_per_job_as_a_job_alone(
    client: FlaskClient, storage: FakeStorage
) -> None:
    client.post("/", data=batch_of("c1", keys=KEYS[:1]), headers={"X-Oscar-Input": "event"})

    assert records(storage) == [(RESULTS, result_key("stamp", "j0", 1))]


def test_a_failed_job_of_a_batch_is_recorded_as_failed_beside_the_others(
    client: FlaskClient, storage: FakeStorage, tmp_path: Path
) -> None:
    del storage.objects[("in", "in/b.txt")]  # its input is gone

    client.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})
    client.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})

    written = {r.job_id: r for r in read_call(storage.objects[(RESULTS, call_key("stamp", "c1"))])}
    assert written["j1"].status == "failed" and written["j1"].http_status == 404
    assert written["j0"].succeeded and written["j2"].succeeded
    assert (tmp_path / "runs").read_text() == "run\n" * 2  # the failed one had no script


class Writes(FakeStorage):
    """Keeps every write of a result record, in order (the fake storage keeps only the last)."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        super().__init__(objects)
        self.written: list[tuple[str, bytes]] = []

    def write_bytes(self, bucket: str, key: str, data: bytes) -> None:
        self.written.append((key, data))
        super().write_bytes(bucket, key, data)


def test_a_batch_that_runs_past_the_flush_time_writes_its_finished_jobs_as_it_goes(
    make_config: MakeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("supervisor.results.FLUSH_SECONDS", 0.0)  # every job is past it
    storage = Writes({("in", key): b"hello\n" for key in KEYS})
    config = make_config(
        STAMPED, INPUT_PATH="in/in", OUTPUT_PATH="out/out", RUNS=str(tmp_path / "runs")
    )
    runner = Runner(config=config, storage=storage, results=ResultBook(storage))
    app = create_app(config, runner=runner).test_client()

    app.post("/", data=batch_of("c1"), headers={"X-Oscar-Input": "event"})

    key = call_key("stamp", "c1")
    assert [k for k, _ in storage.written] == [key] * 4  # after each job, then at the end
    assert [len(read_call(body)) for _, body in storage.written] == [1, 2, 3, 3]


class Reads(FakeStorage):
    """Keeps the key of every result record read."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        super().__init__(objects)
        self.read: list[str] = []

    def read_bytes(self, bucket: str, key: str) -> bytes | None:
        self.read.append(key)
        return super().read_bytes(bucket, key)


def test_a_batch_of_first_attempts_reads_one_record_for_all_and_later_ones_their_earlier(
    make_config: MakeConfig, tmp_path: Path
) -> None:
    storage = Reads({("in", key): b"hello\n" for key in KEYS})
    config = make_config(
        STAMPED, INPUT_PATH="in/in", OUTPUT_PATH="out/out", RUNS=str(tmp_path / "runs")
    )
    app = create_app(
        config, runner=Runner(config=config, storage=storage, results=ResultBook(storage))
    ).test_client()
    event = {"X-Oscar-Input": "event"}
    app.post("/", data=batch_of("c0", keys=KEYS[1:2], first=1), headers=event)  # j1 alone
    storage.read.clear()

    app.post("/", data=batch_of("c1", keys=(KEYS[0], KEYS[2])), headers=event)
    first_reads = list(storage.read)
    storage.read.clear()
    again = app.post("/", data=batch_of("c2", attempt=2), headers=event)

    assert first_reads == [call_key("stamp", "c1")]  # one GET for the batch, none per job
    assert call_key("stamp", "c2") in storage.read
    assert {result_key("stamp", f"j{i}", 1) for i in range(3)} <= set(storage.read)
    repeats = {r["job"]: r.get("repeat_of") for r in again.get_json()["results"]}
    # j1 by its own record of attempt 1. j0 and j2 ran again: their attempt 1 is in c1's call
    # record, which attempt 2 cannot name; the gateway settles such a batch from it instead of
    # retrying it (callbacks_api, the settler), see docs/RELIABILITY.md.
    assert repeats == {"j0": None, "j1": 1, "j2": None}

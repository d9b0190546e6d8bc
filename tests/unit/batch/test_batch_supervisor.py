"""The supervisor runs each job of a batch on its own and answers a result per job."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from contract.batch import Batch
from supervisor.app import create_app
from supervisor.job import Runner
from tests.support.responses import json_object
from tests.unit.batch.test_batch_contract import job
from tests.unit.fake_storage import FakeStorage

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig

# Fails on the second file, and writes each run's own $EVENT as its output.
SCRIPT = (
    'case "$INPUT_FILE_PATH" in *"file 2"*) echo broken >&2; exit 3;; esac\n'
    'printf %s "$EVENT" > "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH").json"'
)


def post(make_config: MakeConfig, storage: FakeStorage, body: bytes, **env: str) -> dict:  # type: ignore[type-arg]
    config = make_config(SCRIPT, INPUT_PATH="photos/in", OUTPUT_PATH="out/o", **env)
    client = create_app(config, runner=Runner(config=config, storage=storage)).test_client()
    response = client.post("/", data=body, content_type="application/json")
    assert response.status_code == 200, response.data
    return json_object(response)


def test_a_failed_job_of_a_batch_is_answered_beside_the_others(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    for n in (1, 2, 3):
        storage.objects[("photos", f"in/file {n}.txt")] = b"x"

    document = post(make_config, storage, Batch((job(1), job(2), job(3))).to_json())

    assert document["status"] == "partial"
    by_job = {r["job"]: r for r in document["results"]}
    assert [by_job[j]["status"] for j in ("j1", "j2", "j3")] == ["succeeded", "failed", "succeeded"]
    assert by_job["j2"]["http_status"] == 500
    assert by_job["j2"]["exit_code"] == 3
    assert "broken" in by_job["j2"]["log_tail"]


def test_each_script_of_a_batch_reads_its_own_one_record_event(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    for n in (1, 3):
        storage.objects[("photos", f"in/file {n}.txt")] = b"x"

    post(make_config, storage, Batch((job(1), job(3))).to_json(), BATCH_PARALLEL="2")

    events = {json.loads(v)["Key"]: v.decode() for v in storage.uploads.values()}
    assert events == {
        "photos/in/file 1.txt": job(1).event_json(),
        "photos/in/file 3.txt": job(3).event_json(),
    }


def test_a_missing_input_fails_only_its_own_job_and_not_for_retry(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[("photos", "in/file 1.txt")] = b"x"

    document = post(make_config, storage, Batch((job(1), job(4))).to_json())

    statuses = {r["job"]: (r["status"], r["http_status"]) for r in document["results"]}
    assert statuses == {"j1": ("succeeded", 200), "j4": ("failed", 404)}

"""The supervisor's one-shot mode (a Kubernetes Job's pod): one event, the result as JSON in the
result file (the pod's termination message) and on stdout, exit 0 only when the script
succeeded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from supervisor.job import Runner
from supervisor.oneshot import MAX_MESSAGE, run_once
from tests.unit.event_bodies import recorded
from tests.unit.fake_storage import FakeStorage

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig

PHOTO = ("images", "photos/2024/my photo.jpg")
COPY = 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/out.jpg"; echo copied'


def test_a_succeeding_event_exits_0_with_its_outputs_in_the_result_file(
    make_config: MakeConfig,
    storage: FakeStorage,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    storage.objects[PHOTO] = b"jpeg"
    config = make_config(COPY, INPUT_PATH="images/photos", OUTPUT_PATH="results/out")
    result_file = tmp_path / "termination-log"

    code = run_once(Runner(config=config, storage=storage),
                    recorded("minio_put.json").decode(), result_file=result_file)  # fmt: skip

    answer = json.loads(result_file.read_text())
    assert code == 0
    assert (answer["status"], answer["http_status"]) == ("succeeded", 200)
    assert answer["results"][0]["outputs"] == ["out/2024/out.jpg"]
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1]) == answer


def test_a_failing_script_exits_1_with_its_status_and_log_tail(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    storage.objects[PHOTO] = b"jpeg"
    config = make_config("echo broken >&2; exit 3", INPUT_PATH="images/photos",
                         OUTPUT_PATH="results/out")  # fmt: skip
    result_file = tmp_path / "termination-log"

    code = run_once(Runner(config=config, storage=storage),
                    recorded("minio_put.json").decode(), result_file=result_file)  # fmt: skip

    answer = json.loads(result_file.read_text())
    assert code == 1
    assert (answer["status"], answer["http_status"], answer["exit_code"]) == ("failed", 500, 3)
    assert "broken" in answer["log_tail"]
    assert storage.uploads == {}


def test_a_malformed_event_is_a_failed_400_and_a_huge_log_still_fits_the_message(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    result_file = tmp_path / "termination-log"
    code = run_once(Runner(config=make_config(), storage=storage), "{not json",
                    result_file=result_file)  # fmt: skip
    assert (code, json.loads(result_file.read_text())["http_status"]) == (1, 400)

    storage.objects[PHOTO] = b"jpeg"
    config = make_config("head -c 20000 /dev/zero | tr '\\0' x; exit 1",
                         INPUT_PATH="images/photos", LOG_TAIL_BYTES="20000")  # fmt: skip
    run_once(Runner(config=config, storage=storage), recorded("minio_put.json").decode(),
             result_file=result_file)  # fmt: skip
    assert len(result_file.read_bytes()) <= MAX_MESSAGE
    assert json.loads(result_file.read_text())["status"] == "failed"

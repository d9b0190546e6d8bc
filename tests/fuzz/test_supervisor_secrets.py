"""The supervisor keeps the MinIO keys it reads from secret files: they are in no log record, no
JSON answer, no output and not in the script's environment, when the script succeeds, fails or
MinIO cannot be reached."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from supervisor.app import create_app
from supervisor.config import SupervisorConfig
from supervisor.job import Runner
from supervisor.minio_storage import MinioStorage
from supervisor.storage import S3Storage, Storage
from tests.support.events import notification
from tests.support.waiting import free_port
from tests.unit.fake_storage import FakeStorage

ACCESS_KEY = "s3-access-key-4be1c07d"
SECRET_KEY = "s3-secret-key-91f2a6e8c3"
# Shows the whole environment, on the log and as the output; fails when asked to.
SCRIPT = """#!/bin/sh
env
env > "$TMP_OUTPUT_DIR/environment.txt"
if [ "$(head -c 4 "$INPUT_FILE_PATH")" = FAIL ]; then exit 3; fi
"""


@pytest.fixture
def config(tmp_path: Path) -> SupervisorConfig:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "s3-access-key").write_text(ACCESS_KEY + "\n")
    (secrets / "s3-secret-key").write_text(SECRET_KEY + "\n")
    (tmp_path / "workspaces").mkdir()
    script = tmp_path / "script.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    return SupervisorConfig.from_env(
        {
            "SCRIPT_PATH": str(script),
            "SECRETS_DIR": str(secrets),
            "WORKSPACE_ROOT": str(tmp_path / "workspaces"),
            "S3_ENDPOINT": f"http://127.0.0.1:{free_port()}",
            "INPUT_PATH": "photos/in",
            "OUTPUT_PATH": "results/out",
            "PATH": "/usr/bin:/bin",
        }
    )


def _client(config: SupervisorConfig, storage: Storage) -> FlaskClient:
    return create_app(config, runner=Runner(config=config, storage=storage)).test_client()


def _event(key: str) -> bytes:
    return notification("photos", key, etag=None)


def _leaks(text: str) -> list[str]:
    return [key for key in (ACCESS_KEY, SECRET_KEY) if key in text]


def test_the_keys_reach_the_storage_config_and_not_the_scripts_environment(
    config: SupervisorConfig,
) -> None:
    assert config.storage is not None
    assert (config.storage.access_key, config.storage.secret_key) == (ACCESS_KEY, SECRET_KEY)
    # The access key names the account and stays in the repr on purpose (tests/unit/test_config).
    assert SECRET_KEY not in repr(config)
    assert _leaks(json.dumps(dict(config.script_env))) == []


def test_answers_outputs_and_logs_hold_no_key_when_the_script_succeeds_or_fails(
    config: SupervisorConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    storage = FakeStorage({("photos", "in/ok.txt"): b"fine", ("photos", "in/bad.txt"): b"FAIL"})
    client = _client(config, storage)

    answers = [
        client.post("/", data=_event("in/ok.txt"), content_type="application/json"),
        client.post("/", data=_event("in/bad.txt"), content_type="application/json"),
        client.post("/", data=b"fine", headers={"X-Filename": "sync.txt"}),
        client.post("/", data=b"FAIL", headers={"X-Filename": "sync.txt"}),
    ]

    assert [a.status_code for a in answers] == [200, 500, 200, 500]
    texts = [a.get_data(as_text=True) for a in answers]
    # The script's environment is really in each answer: the check below looks at it.
    assert all("INPUT_FILE_PATH=" in text for text in texts)
    uploaded = [data.decode() for data in storage.uploads.values()]
    assert uploaded and all("TMP_OUTPUT_DIR=" in text for text in uploaded)
    lines = [logging.Formatter().format(record) for record in caplog.records]
    assert any("INPUT_FILE_PATH=" in line for line in lines)  # the script's log is echoed
    for text in [*texts, *uploaded, *lines]:
        assert _leaks(text) == [], text[:500]


@pytest.mark.parametrize("kind", [S3Storage, MinioStorage])
def test_minio_out_of_reach_is_a_503_that_names_no_key(
    config: SupervisorConfig, caplog: pytest.LogCaptureFixture, kind: type[Storage]
) -> None:
    caplog.set_level(logging.DEBUG)
    assert config.storage is not None
    client = _client(config, kind(config.storage))  # type: ignore[call-arg]

    answer = client.post("/", data=_event("in/ok.txt"), content_type="application/json")

    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert "MinIO at 127.0.0.1" in answer.get_json()["error"]
    lines = [logging.Formatter().format(record) for record in caplog.records]
    assert any("failed during download" in line for line in lines)
    for text in [answer.get_data(as_text=True), *lines]:
        assert _leaks(text) == [], text[:500]

"""The supervisor's HTTP face with hostile bodies and headers: JSON errors (never HTML), no 5xx
but the script's own failure, outputs only under the output prefix, and no workspace left."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest
from flask.testing import FlaskClient
from hypothesis import example, given
from hypothesis import strategies as st

from supervisor.app import create_app
from supervisor.config import SupervisorConfig
from supervisor.job import Runner
from tests.fuzz.hostile import (
    CREATED_NAMES,
    FUZZ,
    ODD_KEYS,
    as_body,
    header_names,
    header_text,
    notifications,
)
from tests.support.events import minio_document, minio_record
from tests.unit.fake_storage import FakeStorage

SCRIPT = """#!/bin/sh
case "$(head -c 4 "$INPUT_FILE_PATH")" in
  FAIL) echo "failing on purpose" >&2; exit 3 ;;
esac
cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/"
"""
STORED = (*(unquote_plus(k) for k in ODD_KEYS), "in/plain.png", "in/sub/fails.txt")


@dataclass
class Supervisor:
    client: FlaskClient
    storage: FakeStorage
    workspace_root: Path


@pytest.fixture(scope="module")
def supervisor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervisor]:
    folder = tmp_path_factory.mktemp("supervisor")
    (folder / "workspaces").mkdir()
    (folder / "secrets").mkdir()
    script = folder / "script.sh"
    script.write_text(SCRIPT)
    script.chmod(0o755)
    config = SupervisorConfig.from_env(
        {
            "SCRIPT_PATH": str(script),
            "WORKSPACE_ROOT": str(folder / "workspaces"),
            "SECRETS_DIR": str(folder / "secrets"),
            "INPUT_PATH": "photos/in",
            "OUTPUT_PATH": "results/out",
            "SCRIPT_TIMEOUT": "20",
        }
    )
    # Objects MinIO could not hold (NUL, lone surrogates) are stored too: the fake does not
    # refuse them, so the supervisor has to.
    storage = FakeStorage(
        {("photos", key): b"FAIL" if "fails" in key else b"data" for key in STORED}
    )
    app = create_app(config, runner=Runner(config=config, storage=storage))
    yield Supervisor(app.test_client(), storage, folder / "workspaces")


def _event(keys: list[str], names: list[str], time: str) -> bytes:
    records = [
        minio_record("photos", key, event_name=name, event_time=time, etag=None)
        for key, name in zip(keys, names, strict=False)
    ]
    return as_body(minio_document(*records))


events = st.builds(
    _event,
    st.lists(st.sampled_from(STORED), min_size=1, max_size=3),
    st.lists(st.sampled_from((*CREATED_NAMES, "s3:ObjectRemoved:Delete")), min_size=3, max_size=3),
    st.sampled_from(["2026-01-01T00:00:00.000Z", "", "\x00", "\ud800"]),
)
bodies = st.one_of(st.binary(max_size=200), events, notifications.map(as_body))
file_names = st.one_of(st.sampled_from([k for k in ODD_KEYS if k.isascii()]), header_text)
request_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.one_of(
            st.sampled_from(
                [
                    "application/json",
                    "application/json; charset=utf-8",
                    "text/plain",
                    "application/octet-stream",
                    "multipart/form-data; boundary=x",
                    'text/plain; filename="../../etc/passwd"',
                    "image/png",
                ]
            ),
            header_text,
        ),
        "X-Oscar-Input": st.one_of(
            st.sampled_from(["auto", "event", "raw", " Event "]), header_text
        ),
        "X-Oscar-Base64": st.sampled_from(["true", "false", "1", "no", "maybe"]),
        "X-Filename": file_names,
        "Content-Disposition": file_names.map(lambda n: f'attachment; filename="{n}"'),
    },
).flatmap(
    lambda fixed: st.dictionaries(header_names, header_text, max_size=2).map(
        lambda extra: {**extra, **fixed}
    )
)


def _allowed_failure(status: int, answer: dict[str, Any]) -> bool:
    """The script's own failure is the one 5xx this supervisor may give here."""
    return (
        status == 500
        and answer.get("exit_code") == 3
        and "failing on purpose" in answer.get("log_tail", "")
    )


@FUZZ
@given(
    body=bodies,
    headers=request_headers,
    method=st.sampled_from(["POST", "PUT", "GET"]),
    path=st.sampled_from(["/", "/anything", "/a/../../b"]),
    filename=st.one_of(st.none(), st.text(max_size=20)),
)
@example(body=_event(["in/plain.png"], ["s3:ObjectCreated:Put"], "\x00"), headers={},
         method="POST", path="/", filename=None)  # fmt: skip
@example(body=_event(["in/a\x00b.jpg"], ["s3:ObjectCreated:Put"], ""), headers={
         "X-Oscar-Input": "event"}, method="POST", path="/", filename=None)  # fmt: skip
@example(body=_event(["in/\ud800lone-surrogate.png"], ["s3:ObjectCreated:Put"], ""),
         headers={"X-Oscar-Input": "event"}, method="POST", path="/", filename=None)  # fmt: skip
@example(body=b"[" * 100_000, headers={"X-Oscar-Input": "event"}, method="POST", path="/",
         filename=None)  # fmt: skip
@example(body=b"FAIL now", headers={"X-Filename": "../../x"}, method="POST", path="/",
         filename=None)  # fmt: skip
def test_any_request_gets_json_errors_and_no_5xx_but_the_scripts_own(
    supervisor: Supervisor,
    body: bytes,
    headers: dict[str, str],
    method: str,
    path: str,
    filename: str | None,
) -> None:
    query = {"filename": filename} if filename is not None else {}
    supervisor.storage.uploads.clear()

    with supervisor.client.open(
        path, method=method, data=body, headers=headers, query_string=query
    ) as response:
        status, mimetype, data = response.status_code, response.mimetype, response.get_data()

    assert mimetype != "text/html"
    if status >= 400:
        assert mimetype == "application/json", data[:300]
        answer = json.loads(data)
        assert isinstance(answer, dict) and answer["error"]
        assert status < 500 or _allowed_failure(status, answer), answer
    for bucket, key in supervisor.storage.uploads:
        assert bucket == "results"
        assert key.startswith("out/")
        assert not set(key.split("/")) & {"", ".", ".."}
    assert not any(supervisor.workspace_root.iterdir()), "a workspace was left behind"

"""`supervisor.job.Runner` over an in-memory storage: input in, script, outputs out, no trace."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import pytest

from supervisor.errors import (
    BadRequest,
    InputNotFound,
    OutputRejected,
    ScriptFailed,
    ScriptTimedOut,
    StorageNotConfigured,
)
from supervisor.event import parse
from supervisor.job import MAX_EVENT_ENV, Runner
from tests.support.events import minio_record
from tests.unit.event_bodies import recorded
from tests.unit.fake_storage import FakeStorage

if TYPE_CHECKING:
    from tests.unit.conftest import MakeConfig

COPY = 'cp "$INPUT_FILE_PATH" "$TMP_OUTPUT_DIR/$(basename "$INPUT_FILE_PATH")"'
PHOTO = ("images", "photos/2024/my photo.jpg")


def _empty(folder: Path) -> bool:
    return not any(folder.iterdir())


def test_with_an_output_storage_inputs_are_read_from_one_endpoint_and_outputs_written_to_another(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"jpeg bytes"
    elsewhere = FakeStorage()
    config = make_config(COPY, INPUT_PATH="images/photos", OUTPUT_PATH="results/processed")

    Runner(config=config, storage=storage, output_storage=elsewhere).run_event(
        parse(recorded("minio_put.json"))
    )

    assert elsewhere.uploads == {("results", "processed/2024/my photo.jpg"): b"jpeg bytes"}
    assert storage.uploads == {}


def test_outputs_are_uploaded_under_output_path_mirroring_the_input_folder(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"jpeg bytes"
    script = "\n".join(
        [
            COPY,
            'echo "made notes" > "$TMP_OUTPUT_DIR/notes.txt"',
            'mkdir "$TMP_OUTPUT_DIR/thumbs"',
            'printf small > "$TMP_OUTPUT_DIR/thumbs/small.jpg"',
            "echo processed",
        ]
    )
    config = make_config(script, INPUT_PATH="images/photos", OUTPUT_PATH="results/processed")

    results = Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert storage.uploads == {
        ("results", "processed/2024/my photo.jpg"): b"jpeg bytes",
        ("results", "processed/2024/notes.txt"): b"made notes\n",
        ("results", "processed/2024/thumbs/small.jpg"): b"small",
    }
    assert len(results) == 1
    result = results[0]
    assert (result.bucket, result.key, result.exit_code) == (*PHOTO, 0)
    assert result.outputs == [
        "processed/2024/my photo.jpg",
        "processed/2024/notes.txt",
        "processed/2024/thumbs/small.jpg",
    ]
    assert result.log_tail == "processed\n"
    assert result.as_json()["outputs"] == result.outputs
    assert _empty(workspace_root)


def test_the_download_asks_for_the_exact_object_and_version(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"x"
    config = make_config("exit 0")
    event = parse(recorded("minio_put.json"))

    Runner(config=config, storage=storage).run_event(event)

    assert storage.downloads == [event.objects[0]]
    assert storage.downloads[0].version_id == "3b1d2f6e-8c1a-4f7e-b8a4-0d9c5e2a7f10"


def test_the_script_sees_the_oscar_environment(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"x"
    names = [
        "INPUT_FILE_PATH",
        "TMP_INPUT_DIR",
        "TMP_OUTPUT_DIR",
        "STORAGE_OBJECT_KEY",
        "STORAGE_BUCKET",
        "EVENT",
        "EVENT_TIME",
        "SERVICE_SETTING",
    ]
    script = "\n".join(f'printf "%s" "${name}" > "$TMP_OUTPUT_DIR/{name}"' for name in names)
    config = make_config(
        script, INPUT_PATH="images/photos", OUTPUT_PATH="out", SERVICE_SETTING="from stack.yml"
    )
    body = recorded("minio_put.json")

    Runner(config=config, storage=storage).run_event(parse(body))

    seen = {key.rsplit("/", 1)[1]: value.decode() for (_, key), value in storage.uploads.items()}
    assert seen["STORAGE_OBJECT_KEY"] == "photos/2024/my photo.jpg"
    assert seen["STORAGE_BUCKET"] == "images"
    assert seen["EVENT"] == body.decode()
    assert seen["EVENT_TIME"] == "2024-05-14T09:31:12.345Z"
    assert seen["SERVICE_SETTING"] == "from stack.yml"
    input_file = PurePosixPath(seen["INPUT_FILE_PATH"])
    assert input_file.name == "my photo.jpg"
    assert input_file.parent == PurePosixPath(seen["TMP_INPUT_DIR"])
    assert seen["TMP_OUTPUT_DIR"].endswith("/out/2024")


def test_a_big_event_gives_each_script_only_its_own_record(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    records = []
    for key in ("a.txt", "b.txt"):
        storage.objects[("in", key)] = b"x"
        record = minio_record("in", key)
        record["s3"]["object"]["userMetadata"] = {"padding": "p" * (MAX_EVENT_ENV // 2)}
        records.append(record)
    body = json.dumps({"Records": records}).encode()
    assert len(body) > MAX_EVENT_ENV
    config = make_config('printf "%s" "$EVENT" > "$TMP_OUTPUT_DIR/event.json"', OUTPUT_PATH="out")

    Runner(config=config, storage=storage).run_event(parse(body))

    # Both scripts write event.json; the second upload overwrites the first, as a retry would.
    seen = json.loads(storage.uploads[("out", "event.json")])
    assert seen == {"Records": [records[1]]}


def test_every_created_object_of_an_event_is_processed(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[("inbox", "in/first file.txt")] = b"first"
    storage.objects[("inbox", "in/sub/second+third.bin")] = b"second"
    config = make_config(COPY, INPUT_PATH="inbox/in", OUTPUT_PATH="out")

    results = Runner(config=config, storage=storage).run_event(
        parse(recorded("aws_several_records.json"))
    )

    assert [r.key for r in results] == ["in/first file.txt", "in/sub/second+third.bin"]
    assert storage.uploads == {
        ("out", "first file.txt"): b"first",
        ("out", "sub/second+third.bin"): b"second",
    }


def test_script_failure_raises_with_exit_code_and_log_tail_and_uploads_nothing(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"x"
    script = f'{COPY}\necho "working"\necho "cannot read the image" >&2\nexit 3'
    config = make_config(script, OUTPUT_PATH="out")

    with pytest.raises(ScriptFailed) as raised:
        Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert raised.value.exit_code == 3
    assert raised.value.log_tail == "working\ncannot read the image\n"
    assert raised.value.status == 500
    assert raised.value.payload()["exit_code"] == 3
    assert storage.uploads == {}
    assert _empty(workspace_root)


def test_a_timed_out_script_uploads_nothing(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"x"
    config = make_config(
        f"{COPY}\necho started\nsleep 120", OUTPUT_PATH="out", SCRIPT_TIMEOUT="0.5"
    )

    with pytest.raises(ScriptTimedOut) as raised:
        Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert raised.value.status == 504
    assert raised.value.exit_code is None
    assert raised.value.log_tail == "started\n"
    assert raised.value.payload()["timed_out"] is True
    assert "0.5s" in raised.value.message
    assert storage.uploads == {}
    assert _empty(workspace_root)


def test_the_log_tail_keeps_only_the_last_bytes(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"x"
    config = make_config("echo 'early lines'\necho 'LAST'\nexit 1", LOG_TAIL_BYTES="5")

    with pytest.raises(ScriptFailed) as raised:
        Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert raised.value.log_tail == "LAST\n"


def test_outputs_without_output_path_are_rejected(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"x"
    config = make_config(COPY)
    assert config.output_path is None

    with pytest.raises(OutputRejected) as raised:
        Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert "OUTPUT_PATH=bucket/prefix" in raised.value.message
    assert raised.value.status == 502
    assert storage.uploads == {}
    assert _empty(workspace_root)


def test_no_outputs_and_no_output_path_is_a_success(
    make_config: MakeConfig, storage: FakeStorage
) -> None:
    storage.objects[PHOTO] = b"x"
    config = make_config("echo only a log line")

    results = Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert results[0].outputs == []
    assert results[0].log_tail == "only a log line\n"


def test_a_missing_input_raises_input_not_found_without_running_the_script(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "script-ran"
    config = make_config(f'touch "{marker}"', OUTPUT_PATH="out")

    with pytest.raises(InputNotFound):
        Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert not marker.exists()
    assert _empty(workspace_root)


def test_symbolic_links_in_the_outputs_are_not_uploaded(
    make_config: MakeConfig, storage: FakeStorage, tmp_path: Path
) -> None:
    secret = tmp_path / "host-secret"
    secret.write_text("not for upload")
    storage.objects[PHOTO] = b"x"
    script = f'ln -s "{secret}" "$TMP_OUTPUT_DIR/link"\necho real > "$TMP_OUTPUT_DIR/real.txt"'
    config = make_config(script, OUTPUT_PATH="out")

    Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert storage.uploads == {("out", "photos/2024/real.txt"): b"real\n"}


def test_an_event_with_objects_and_no_storage_is_refused(
    make_config: MakeConfig, workspace_root: Path
) -> None:
    config = make_config(COPY, OUTPUT_PATH="out")

    with pytest.raises(StorageNotConfigured) as raised:
        Runner(config=config, storage=None).run_event(parse(recorded("minio_put.json")))

    assert raised.value.status == 503
    assert "S3_ENDPOINT" in raised.value.message
    assert _empty(workspace_root)


@pytest.mark.parametrize("name", ["aws_test_event.json", "minio_delete.json"])
def test_an_event_without_created_objects_needs_no_storage_and_runs_nothing(
    make_config: MakeConfig, workspace_root: Path, tmp_path: Path, name: str
) -> None:
    marker = tmp_path / "script-ran"
    config = make_config(f'touch "{marker}"')

    results = Runner(config=config, storage=None).run_event(parse(recorded(name)))

    assert results == []
    assert not marker.exists()
    assert _empty(workspace_root)


def test_run_sync_returns_the_outputs_until_the_workspace_is_removed(
    make_config: MakeConfig, workspace_root: Path
) -> None:
    config = make_config(f"{COPY}\necho 'copied it'")
    runner = Runner(config=config, storage=None)

    result = runner.run_sync(io.BytesIO(b"hello"), filename="greeting.txt", decode_base64=False)

    assert [(relative, path.read_bytes()) for relative, path in result.outputs] == [
        (PurePosixPath("greeting.txt"), b"hello")
    ]
    assert result.stdout.read_text() == "copied it\n"
    assert result.log_tail == "copied it\n"
    assert result.workspace.root.parent == workspace_root
    result.workspace.remove()
    assert not result.workspace.root.exists()
    assert _empty(workspace_root)


def test_run_sync_without_outputs_keeps_the_stdout_for_the_answer(
    make_config: MakeConfig,
) -> None:
    config = make_config('wc -c < "$INPUT_FILE_PATH"')

    result = Runner(config=config, storage=None).run_sync(
        io.BytesIO(b"12345"), filename="n.txt", decode_base64=False
    )

    assert result.outputs == []
    assert result.stdout.read_text().strip() == "5"
    result.workspace.remove()


def test_run_sync_gives_the_script_no_storage_key_or_event(make_config: MakeConfig) -> None:
    config = make_config('echo "[$STORAGE_OBJECT_KEY][$EVENT][$EVENT_TIME]"')

    result = Runner(config=config, storage=None).run_sync(
        io.BytesIO(b""), filename="f", decode_base64=False
    )

    assert result.stdout.read_text() == "[][][]\n"
    result.workspace.remove()


@pytest.mark.parametrize("filename", ["../../../etc/passwd", "/etc/passwd", "a/b/passwd"])
def test_run_sync_keeps_a_hostile_filename_inside_the_workspace(
    make_config: MakeConfig, workspace_root: Path, filename: str
) -> None:
    config = make_config('printf "%s" "$INPUT_FILE_PATH"')

    result = Runner(config=config, storage=None).run_sync(
        io.BytesIO(b"x"), filename=filename, decode_base64=False
    )

    input_file = Path(result.stdout.read_text())
    assert input_file.name == "passwd"
    assert input_file.resolve().is_relative_to(result.workspace.input_dir.resolve())
    result.workspace.remove()


DATA = bytes(range(256)) * 3


@pytest.mark.parametrize(
    "body",
    [
        base64.b64encode(DATA),
        base64.encodebytes(DATA),  # a newline every 76 characters
        b"  " + b" \r\n\t".join(base64.b64encode(DATA)[i : i + 5] for i in range(0, 1024, 5)),
    ],
    ids=["plain", "newlines", "whitespace-everywhere"],
)
def test_run_sync_decodes_a_base64_body(
    make_config: MakeConfig, body: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Small chunks, so that whitespace and 4-character groups straddle chunk boundaries.
    monkeypatch.setattr("supervisor.job.COPY_CHUNK", 7)
    config = make_config(COPY)

    result = Runner(config=config, storage=None).run_sync(
        io.BytesIO(body), filename="data.bin", decode_base64=True
    )

    assert result.outputs[0][1].read_bytes() == DATA
    result.workspace.remove()


@pytest.mark.parametrize("body", [b"not base64 at all!", b"aGVsbG8", b"aGVs*G8="])
def test_run_sync_refuses_invalid_base64_and_removes_the_workspace(
    make_config: MakeConfig, workspace_root: Path, tmp_path: Path, body: bytes
) -> None:
    marker = tmp_path / "script-ran"
    config = make_config(f'touch "{marker}"')

    with pytest.raises(BadRequest, match="not valid base64") as raised:
        Runner(config=config, storage=None).run_sync(
            io.BytesIO(body), filename="x", decode_base64=True
        )

    assert raised.value.status == 400
    assert not marker.exists()
    assert _empty(workspace_root)


def test_run_sync_script_failure_removes_the_workspace(
    make_config: MakeConfig, workspace_root: Path
) -> None:
    config = make_config(f'{COPY}\necho "to stdout"\necho "it broke" >&2\nexit 7')

    with pytest.raises(ScriptFailed) as raised:
        Runner(config=config, storage=None).run_sync(
            io.BytesIO(b"x"), filename="x.txt", decode_base64=False
        )

    assert raised.value.exit_code == 7
    # stderr is the log of a synchronous call: stdout may be the answer itself.
    assert raised.value.log_tail == "it broke\n"
    assert _empty(workspace_root)


def test_run_sync_log_tail_falls_back_to_stdout(
    make_config: MakeConfig, workspace_root: Path
) -> None:
    config = make_config('echo "only stdout"\nexit 1')

    with pytest.raises(ScriptFailed) as raised:
        Runner(config=config, storage=None).run_sync(
            io.BytesIO(b""), filename="x", decode_base64=False
        )

    assert raised.value.log_tail == "only stdout\n"
    assert _empty(workspace_root)


def test_the_workspace_is_removed_even_when_the_script_leaves_read_only_folders(
    make_config: MakeConfig, storage: FakeStorage, workspace_root: Path
) -> None:
    storage.objects[PHOTO] = b"x"
    script = 'mkdir -p "$TMP_INPUT_DIR/locked/inner"\ntouch "$TMP_INPUT_DIR/locked/inner/f"\n'
    script += 'chmod 500 "$TMP_INPUT_DIR/locked" "$TMP_INPUT_DIR/locked/inner"'
    config = make_config(script)

    Runner(config=config, storage=storage).run_event(parse(recorded("minio_put.json")))

    assert _empty(workspace_root)

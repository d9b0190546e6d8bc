"""A storage event runs the script on the object and uploads its outputs (real MinIO, watchdog)."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import psutil
import requests
from minio import Minio

from provider.sandbox.replica import Replica
from tests.support.events import minio_event, minio_record

Start = Callable[..., Replica]


def put(s3: Minio, bucket: str, key: str, data: bytes) -> str:
    result = s3.put_object(bucket, key, io.BytesIO(data), len(data))
    return str(result.etag)


def post_event(function: Replica, bucket: str, key: str, etag: str, size: int) -> requests.Response:
    body = minio_event(minio_record(bucket, key, etag=etag, size=size))
    return requests.post(
        function.url, data=body, headers={"Content-Type": "application/json"}, timeout=60
    )


def read(s3: Minio, bucket: str, key: str) -> bytes:
    response = s3.get_object(bucket, key)
    try:
        return response.read()
    finally:
        response.close()
        response.release_conn()


def test_event_runs_the_script_and_uploads_its_output(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etag = put(s3, source, "in/note.txt", b"hello world\n")
    function = run_function("ok")

    response = post_event(function, source, "in/note.txt", etag, 12)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    [result] = body["results"]
    assert result["outputs"] == ["out/note.txt"]
    assert result["exit_code"] == 0
    assert "upper-casing note.txt" in result["log_tail"]
    assert read(s3, target, "out/note.txt") == b"HELLO WORLD\n"


def test_script_gets_the_oscar_environment_contract(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    key = "in/deep/dir/photo one.jpg"
    etag = put(s3, source, key, b"x" * 1234)
    function = run_function("envdump", MY_SETTING="service-value")
    body = minio_event(
        minio_record(source, key, etag=etag, size=1234, event_time="2026-11-25T10:11:12.000Z")
    )

    response = requests.post(
        function.url, data=body, headers={"Content-Type": "application/json"}, timeout=60
    )

    assert response.status_code == 200, response.text
    # Outputs mirror the input's folder below the input prefix: in/deep/dir -> out/deep/dir.
    assert response.json()["results"][0]["outputs"] == ["out/deep/dir/env.json"]
    view = json.loads(read(s3, target, "out/deep/dir/env.json"))
    assert Path(view["INPUT_FILE_PATH"]).name == "photo one.jpg"
    assert Path(view["INPUT_FILE_PATH"]).parent == Path(view["TMP_INPUT_DIR"])
    assert view["input_size"] == 1234
    assert view["TMP_OUTPUT_DIR"].endswith("/out/deep/dir")
    assert view["STORAGE_OBJECT_KEY"] == key
    assert json.loads(view["EVENT"]) == json.loads(body)
    assert view["EVENT_TIME"] == "2026-11-25T10:11:12.000Z"
    assert view["MY_SETTING"] == "service-value"
    # The MinIO keys are secrets (files), never environment values a script could log.
    secret = (Path(function.env["SECRETS_DIR"]) / "s3-secret-key").read_text()
    assert secret not in view["environ_values"]
    assert not Path(view["TMP_INPUT_DIR"]).exists(), "the workspace must be removed"


def test_failing_script_returns_5xx_with_log_tail_and_uploads_nothing(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etag = put(s3, source, "in/a.txt", b"data")
    function = run_function("exit3")

    response = post_event(function, source, "in/a.txt", etag, 4)

    assert response.status_code == 500
    error = response.json()
    assert error["exit_code"] == 3
    assert "something went wrong" in error["log_tail"]
    assert "starting on a.txt" in error["log_tail"]
    assert list(s3.list_objects(target, recursive=True)) == []


def test_script_past_its_timeout_is_killed_with_its_children(
    run_function: Start, s3: Minio, buckets: tuple[str, str], tmp_path: Path
) -> None:
    source, target = buckets
    etag = put(s3, source, "in/a.txt", b"data")
    markers = tmp_path / "markers"
    markers.mkdir()
    function = run_function("hang", SCRIPT_TIMEOUT="1.5", MARKER_DIR=str(markers))

    response = post_event(function, source, "in/a.txt", etag, 4)

    assert response.status_code == 504
    error = response.json()
    assert error["timed_out"] is True
    assert error["exit_code"] is None
    assert "hanging now" in error["log_tail"]
    child = int((markers / "child.pid").read_text())
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    assert list(s3.list_objects(target, recursive=True)) == []


def test_outputs_in_sub_folders_keep_their_paths_and_links_are_not_followed(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etag = put(s3, source, "in/batch/item.bin", b"\x00\x01")
    function = run_function("tree")

    response = post_event(function, source, "in/batch/item.bin", etag, 2)

    assert response.status_code == 200, response.text
    expected = ["out/batch/a/x.txt", "out/batch/b/c/y.txt"]
    assert response.json()["results"][0]["outputs"] == expected
    stored = sorted(o.object_name for o in s3.list_objects(target, recursive=True))
    assert stored == expected
    assert read(s3, target, "out/batch/b/c/y.txt") == b"second\n"


def test_python_script_uses_a_package_from_its_requirements(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etag = put(s3, source, "in/big.dat", b"z" * 3 * 1024 * 1024)
    function = run_function("pyreq")

    response = post_event(function, source, "in/big.dat", etag, 3 * 1024 * 1024)

    assert response.status_code == 200, response.text
    assert read(s3, target, "out/big.size.txt") == b"3.0 MiB\n"


def test_unicode_and_escaped_key_round_trips(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    key = "in/données/été 2024/ファイル +100%.txt"
    etag = put(s3, source, key, b"caf\xc3\xa9\n")
    function = run_function("ok")

    response = post_event(function, source, key, etag, 6)

    assert response.status_code == 200, response.text
    out_key = "out/données/été 2024/ファイル +100%.txt"
    assert response.json()["results"][0]["outputs"] == [out_key]
    assert read(s3, target, out_key) == "CAFé\n".encode()


def test_several_records_in_one_event_each_run_and_deletes_are_skipped(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etags = [put(s3, source, f"in/{n}.txt", n.encode()) for n in ("one", "two")]
    function = run_function("ok")
    body = minio_event(
        minio_record(source, "in/one.txt", etag=etags[0], size=3),
        minio_record(source, "in/gone.txt", event_name="s3:ObjectRemoved:Delete"),
        minio_record(
            source,
            "in/two.txt",
            etag=etags[1],
            size=3,
            event_name="s3:ObjectCreated:CompleteMultipartUpload",
        ),
    )

    response = requests.post(
        function.url, data=body, headers={"Content-Type": "application/json"}, timeout=60
    )

    assert response.status_code == 200, response.text
    result = response.json()
    assert [r["outputs"] for r in result["results"]] == [["out/one.txt"], ["out/two.txt"]]
    [skipped] = result["skipped"]
    assert skipped["key"] == "in/gone.txt"
    assert "not an object creation" in skipped["reason"]
    assert read(s3, target, "out/two.txt") == b"TWO"

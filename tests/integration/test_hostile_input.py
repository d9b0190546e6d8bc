"""Hostile or broken input gets a clear JSON error; nothing escapes the workspace; inputs stay."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, cast

import psutil
import pytest
import requests
from minio import Minio

from provider.sandbox.replica import Replica
from tests.support.events import minio_event, minio_record
from tests.support.tools import ROOT
from tests.support.waiting import free_port

Start = Callable[..., Replica]
JSON = {"Content-Type": "application/json"}


def post(function: Replica, body: bytes) -> requests.Response:
    return requests.post(function.url, data=body, headers=JSON, timeout=60)


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


@pytest.mark.parametrize(
    ("key", "expected_output"),
    [
        ("in/../../../../etc/evil.txt", "out/etc/evil.txt"),
        ("in/a/./../b.txt", "out/a/b.txt"),
        ("/in/leading-slash.txt", "out/in/leading-slash.txt"),
        ("in/plus+and%percent and space.txt", "out/plus+and%percent and space.txt"),
        ("in/" + ("k" * 240 + "/") * 3 + "n" * 270 + ".txt", None),
        ("in/" + "k" * 300 + "/" + "n" * 690 + ".txt", None),
    ],
    ids=[
        "dotdot",
        "dot-segments",
        "leading-slash",
        "plus-percent-space",
        "1000-chars",
        "300-char-segment",
    ],
)
def test_odd_keys_stay_inside_the_workspace(
    run_function: Start,
    s3: Minio,
    buckets: tuple[str, str],
    tmp_path: Path,
    key: str,
    expected_output: str | None,
) -> None:
    source, _ = buckets
    function = run_function("ok")
    tmp = Path(function.env["TMPDIR"])
    before = files_under(tmp_path)
    # MinIO itself refuses some of these names; the event may still arrive (from a forged or
    # foreign sender), so the object may be missing: either way the answer must be clean.
    try:
        etag = str(s3.put_object(source, key, io.BytesIO(b"odd"), 3).etag)
    except Exception:
        etag = "missing"

    response = post(function, minio_event(minio_record(source, key, etag=etag, size=3)))

    assert response.headers["Content-Type"] == "application/json"
    if etag == "missing":
        assert response.status_code == 404, response.text
        assert "cannot be read" in response.json()["error"]
    else:
        assert response.status_code == 200, response.text
        [output] = response.json()["results"][0]["outputs"]
        if expected_output is not None:
            assert output == expected_output
        assert output.startswith("out/")
        assert ".." not in output.split("/")
        assert len(output.encode()) <= 1024
    created = files_under(tmp_path) - before
    assert not any("evil" in p.name or "leading-slash" in p.name for p in created), created
    assert not Path("/etc/evil.txt").exists()
    assert not any(p.name.startswith("job-") for p in files_under(tmp)), "workspace left behind"


def test_zero_byte_file_is_processed(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    etag = str(s3.put_object(source, "in/empty.txt", io.BytesIO(b""), 0).etag)
    function = run_function("ok")

    response = post(function, minio_event(minio_record(source, "in/empty.txt", etag=etag)))

    assert response.status_code == 200, response.text
    assert s3.stat_object(target, "out/empty.txt").size == 0


def test_missing_object_and_missing_bucket_are_404s(
    run_function: Start, buckets: tuple[str, str]
) -> None:
    source, _ = buckets
    function = run_function("ok")

    no_object = post(function, minio_event(minio_record(source, "in/nope.txt")))
    no_bucket = post(function, minio_event(minio_record("no-such-bucket-xyz", "in/a.txt")))

    assert no_object.status_code == 404
    assert "NoSuchKey" in no_object.json()["error"]
    assert no_bucket.status_code == 404
    assert "NoSuchBucket" in no_bucket.json()["error"]


def test_minio_down_is_a_503_naming_the_endpoint(
    run_function: Start, buckets: tuple[str, str]
) -> None:
    source, _ = buckets
    closed = free_port()
    function = run_function("ok", S3_ENDPOINT=f"http://127.0.0.1:{closed}")

    response = post(function, minio_event(minio_record(source, "in/a.txt")))

    assert response.status_code == 503
    assert f"127.0.0.1:{closed}" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b'{"Records": "nope"}',
        b'{"Records": [{"s3": {"bucket": {"name": "b"}, "object": {}}}]}',
        b'{"Records": [{"s3": {"bucket": {}, "object": {"key": "k"}}}]}',
        b'{"Records": [42]}',
    ],
    ids=["records-not-list", "no-key", "no-bucket-name", "record-not-object"],
)
def test_malformed_event_is_a_400_with_a_reason(run_function: Start, body: bytes) -> None:
    function = run_function("ok")

    response = requests.post(
        function.url, data=body, headers={**JSON, "X-Oscar-Input": "event"}, timeout=30
    )

    assert response.status_code == 400, response.text
    assert response.json()["error"]


def test_the_input_object_is_never_modified(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, _ = buckets
    etag = str(s3.put_object(source, "in/keep.txt", io.BytesIO(b"original"), 8).etag)
    before = s3.stat_object(source, "in/keep.txt")
    function = run_function("ok")

    post(function, minio_event(minio_record(source, "in/keep.txt", etag=etag, size=8)))

    after = s3.stat_object(source, "in/keep.txt")
    assert (after.etag, after.size, after.last_modified) == (
        before.etag,
        before.size,
        before.last_modified,
    )


def test_two_gigabyte_file_is_streamed_not_held_in_memory(
    run_function: Start, s3: Minio, buckets: tuple[str, str]
) -> None:
    source, target = buckets
    size = 2 * 1024**3 + 7
    chunk = os.urandom(1 << 20)

    class Repeating(io.RawIOBase):
        def __init__(self) -> None:
            self.left = size

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            n = self.left if n < 0 else min(n, self.left)
            data = (chunk * (n // len(chunk) + 1))[:n]
            self.left -= n
            return data

    result = s3.put_object(
        source, "in/huge.bin", cast(BinaryIO, Repeating()), size, part_size=64 * 1024 * 1024
    )
    function = run_function("stdout", OUTPUT_PATH=f"{target}/out")

    watchdog = psutil.Process(function.process.pid)

    response = post(
        function, minio_event(minio_record(source, "in/huge.bin", etag=str(result.etag), size=size))
    )

    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["outputs"] == []
    assert f"bytes={size}" in response.json()["results"][0]["log_tail"]
    rss = max(
        p.memory_info().rss for p in watchdog.children(recursive=True) if "python" in p.name()
    )
    assert rss < 200 * 1024 * 1024, f"supervisor RSS {rss / 2**20:.0f} MiB after a 2 GiB file"


def test_missing_settings_stop_start_up_with_one_message_naming_each(tmp_path: Path) -> None:
    script = tmp_path / "function" / "script.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\n")
    env = {
        "PATH": os.environ["PATH"],
        "FUNCTION_DIR": str(script.parent),
        "S3_ENDPOINT": "http://127.0.0.1:9",
        "SECRETS_DIR": str(tmp_path / "no-secrets"),
        "SCRIPT_TIMEOUT": "soon",
        "PYTHONPATH": str(ROOT),
    }

    result = subprocess.run(
        [sys.executable, "-m", "supervisor"], env=env, capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    for name in ("s3-access-key", "s3-secret-key", "SCRIPT_TIMEOUT"):
        assert name in result.stderr

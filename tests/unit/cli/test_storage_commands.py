"""`oscar put`, `get` and `ls`: argument parsing and error mapping, with minio-py's client
replaced (the real MinIO is exercised by the integration tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import urllib3
from minio import Minio
from minio.datatypes import Object
from minio.error import S3Error

from oscar_cli.errors import BadInput
from oscar_cli.storage import Location
from tests.unit.cli.conftest import Oscar, fails


def s3_error(code: str) -> S3Error:
    return S3Error(urllib3.HTTPResponse(), code, f"{code} happened", "/r", "req", "host")


class Calls:
    def __init__(self) -> None:
        self.put: list[tuple[str, str, str]] = []
        self.listed: list[dict[str, Any]] = []


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, amt: int) -> Iterator[bytes]:
        yield from (self._data[i : i + amt] for i in range(0, len(self._data), amt))

    def close(self) -> None:
        return None

    def release_conn(self) -> None:
        return None


@pytest.fixture
def minio(monkeypatch: pytest.MonkeyPatch, stack: Path) -> Calls:
    """minio-py's client methods, recording what the commands ask of them."""
    calls = Calls()

    def fput_object(self: Minio, bucket: str, key: str, path: str, **_: Any) -> None:
        calls.put.append((bucket, key, Path(path).name))

    def list_objects(self: Minio, bucket: str, **options: Any) -> Iterator[Object]:
        calls.listed.append({"bucket": bucket, **options})
        stamp = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
        yield Object(bucket, "in/a.png", stamp, "etag-a", 2048)
        yield Object(bucket, "in/sub/")

    def stat_object(self: Minio, bucket: str, key: str) -> Object:
        if key != "in/a.png":
            raise s3_error("NoSuchKey")
        return Object(bucket, key, size=5)

    def get_object(self: Minio, bucket: str, key: str) -> _Body:
        return _Body(b"bytes")

    for name, method in {
        "fput_object": fput_object,
        "list_objects": list_objects,
        "stat_object": stat_object,
        "get_object": get_object,
    }.items():
        monkeypatch.setattr(Minio, name, method)
    return calls


@pytest.mark.parametrize(
    ("text", "bucket", "key"),
    [("b", "b", ""), ("b/in/x.png", "b", "in/x.png"), ("s3://b/in/", "b", "in/")],
)
def test_locations_are_bucket_then_key(text: str, bucket: str, key: str) -> None:
    assert Location.parse(text, what="X") == Location(bucket, key)


def test_a_location_without_a_bucket_is_bad_input() -> None:
    with pytest.raises(BadInput, match="expected BUCKET/KEY"):
        Location.parse("/in/x.png", what="X")


def test_put_uploads_files_under_the_prefix_and_folders_with_their_paths(
    oscar: Oscar, minio: Calls, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(b"a")
    (tmp_path / "pics" / "2024").mkdir(parents=True)
    (tmp_path / "pics" / "2024" / "b.png").write_bytes(b"b")
    result = oscar("put", "a.png", "pics", "grayify/in/")
    assert result.exit_code == 0, result.output
    assert minio.put == [
        ("grayify", "in/a.png", "a.png"),
        ("grayify", "in/pics/2024/b.png", "b.png"),
    ]
    assert "a.png -> grayify/in/a.png (1B)" in result.stdout


def test_put_into_a_bucket_root(oscar: Oscar, minio: Calls, tmp_path: Path) -> None:
    (tmp_path / "a.png").write_bytes(b"a")
    assert oscar("put", "a.png", "grayify").exit_code == 0
    assert minio.put == [("grayify", "a.png", "a.png")]


@pytest.mark.parametrize(
    ("args", "phrases"),
    [
        (("put", "missing.png", "b/in"), ("missing.png", "does not exist")),
        (("put", "a.png", "/in"), ("expected BUCKET/KEY",)),
        (("put", "a.png"), ("Missing argument",)),
        (("put", "empty", "b/in"), ("nothing to upload",)),
        (("get", "bucket"), ("name a key",)),
        (("get", "bucket/in/"), ("name a key",)),
        (("get", "b/in/a.png", "-o", "no/such/a.png"), ("no/such", "does not exist")),
        (("ls", "/in"), ("expected BUCKET/KEY",)),
    ],
)
def test_bad_storage_arguments_exit_2_before_minio_is_asked(
    oscar: Oscar, minio: Calls, tmp_path: Path, args: tuple[str, ...], phrases: tuple[str, ...]
) -> None:
    (tmp_path / "a.png").write_bytes(b"a")
    (tmp_path / "empty").mkdir()
    fails(oscar(*args), 2, *phrases)
    assert minio.put == [] and minio.listed == []


@pytest.mark.parametrize(
    ("code", "exit_code", "phrases"),
    [
        ("InvalidAccessKeyId", 5, ("MinIO refused the access key minio-access", "--state-dir")),
        ("SignatureDoesNotMatch", 5, ("MinIO refused", "credentials.json")),
        ("NoSuchBucket", 4, ("bucket grayify does not exist", "`oscar services`")),
        ("InternalError", 1, ("uploading", "InternalError")),
    ],
)
def test_put_maps_minio_errors_to_exit_codes(
    oscar: Oscar,
    minio: Calls,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
    exit_code: int,
    phrases: tuple[str, ...],
) -> None:
    def refuse(self: Minio, *args: Any, **kwargs: Any) -> None:
        raise s3_error(code)

    monkeypatch.setattr(Minio, "fput_object", refuse)
    (tmp_path / "a.png").write_bytes(b"a")
    fails(oscar("put", "a.png", "grayify/in"), exit_code, *phrases)


def test_get_writes_the_object_to_its_name_or_stdout(
    oscar: Oscar, minio: Calls, tmp_path: Path
) -> None:
    result = oscar("get", "grayify/in/a.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "a.png").read_bytes() == b"bytes"
    assert oscar("get", "grayify/in/a.png", "-o", "-").stdout_bytes == b"bytes"


def test_get_of_a_missing_key_exits_4(oscar: Oscar, minio: Calls) -> None:
    fails(oscar("get", "grayify/in/b.png"), 4, "grayify/in/b.png does not exist", "oscar ls")


def test_ls_lists_one_folder_level_as_a_table_or_json(oscar: Oscar, minio: Calls) -> None:
    result = oscar("ls", "grayify/in")
    assert result.exit_code == 0, result.output
    assert minio.listed == [{"bucket": "grayify", "prefix": "in/", "recursive": False}]
    assert result.stdout.splitlines()[1].split() == [
        "in/a.png",
        "2.0KiB",
        "2024-01-02T03:04:05+00:00",
    ]
    listed = json.loads(oscar("ls", "grayify", "-r", "--json").stdout)
    assert minio.listed[-1] == {"bucket": "grayify", "prefix": None, "recursive": True}
    assert listed[0] == {
        "key": "in/a.png",
        "size": 2048,
        "modified": "2024-01-02T03:04:05+00:00",
        "etag": "etag-a",
        "folder": False,
    }
    assert listed[1]["folder"] is True


def test_ls_of_a_missing_bucket_exits_4(
    oscar: Oscar, minio: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(self: Minio, bucket: str, **options: Any) -> Iterator[Object]:
        raise s3_error("NoSuchBucket")

    monkeypatch.setattr(Minio, "list_objects", missing)
    fails(oscar("ls", "nope"), 4, "bucket nope does not exist", "`oscar ls`")

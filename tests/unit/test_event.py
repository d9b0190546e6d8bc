"""`supervisor.event`: recorded MinIO and AWS S3 notifications, and what is refused."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from supervisor.errors import BadRequest
from supervisor.event import MAX_EVENT_BYTES, parse, sniff
from tests.support.events import notification
from tests.unit.event_bodies import RECORDED, recorded


def test_the_recorded_events_are_all_there() -> None:
    # Guards the parametrised tests below against silently running on an empty list.
    assert set(RECORDED) == {
        "aws_put.json",
        "aws_several_records.json",
        "aws_test_event.json",
        "minio_delete.json",
        "minio_multipart.json",
        "minio_put.json",
    }


def test_minio_put_gives_one_object_with_its_key_decoded() -> None:
    event = parse(recorded("minio_put.json"))

    assert len(event.objects) == 1
    ref = event.objects[0]
    assert ref.bucket == "images"
    assert ref.key == "photos/2024/my photo.jpg"
    assert ref.etag == "5fc7298143efe1276d39a3466d4e255f"
    assert ref.size == 24681
    assert ref.version_id == "3b1d2f6e-8c1a-4f7e-b8a4-0d9c5e2a7f10"
    assert ref.event_name == "s3:ObjectCreated:Put"
    assert ref.event_time == "2024-05-14T09:31:12.345Z"
    assert event.skipped == ()


def test_minio_decoded_key_matches_minios_own_top_level_key() -> None:
    body = recorded("minio_put.json")
    document = json.loads(body)

    ref = parse(body).objects[0]

    # MinIO's top-level "Key" is bucket + "/" + the unescaped object name.
    assert f"{ref.bucket}/{ref.key}" == document["Key"]


def test_the_raw_event_and_the_record_are_kept_for_the_script() -> None:
    body = recorded("minio_put.json")

    event = parse(body)

    assert event.raw == body.decode("utf-8")
    assert event.objects[0].record == json.loads(body)["Records"][0]


def test_minio_multipart_upload_is_an_object_creation() -> None:
    body = recorded("minio_multipart.json")

    event = parse(body)

    assert len(event.objects) == 1
    ref = event.objects[0]
    assert ref.event_name == "s3:ObjectCreated:CompleteMultipartUpload"
    assert ref.bucket == "videos"
    assert ref.key == "raw/holiday clip (1).mp4"
    assert f"{ref.bucket}/{ref.key}" == json.loads(body)["Key"]
    assert ref.etag == "9b2cf535f27731c974343645a3985328-32"
    assert ref.size == 268435456
    assert ref.version_id is None


def test_aws_put_without_the_s3_prefix_is_an_object_creation() -> None:
    event = parse(recorded("aws_put.json"))

    assert len(event.objects) == 1
    ref = event.objects[0]
    assert ref.event_name == "ObjectCreated:Put"
    assert ref.bucket == "reports-inbox"
    assert ref.key == "2024/Q1/annual report € final.pdf"
    assert ref.etag == "d41d8cd98f00b204e9800998ecf8427e"
    assert ref.size == 1048576
    assert ref.version_id == "096fKKXTRTtl3on89fVO.nfljtsv6qko"


def test_minio_delete_is_skipped_with_a_reason() -> None:
    event = parse(recorded("minio_delete.json"))

    assert event.objects == ()
    assert len(event.skipped) == 1
    skipped = event.skipped[0]
    assert skipped.event_name == "s3:ObjectRemoved:Delete"
    assert skipped.key == "photos/old picture.jpg"
    assert "s3:ObjectRemoved:Delete" in skipped.reason
    assert "not an object creation" in skipped.reason


def test_aws_test_event_gives_zero_objects_and_nothing_skipped() -> None:
    event = parse(recorded("aws_test_event.json"))

    assert event.objects == ()
    assert event.skipped == ()


def test_several_records_keep_their_order_and_skip_the_delete() -> None:
    event = parse(recorded("aws_several_records.json"))

    assert [ref.key for ref in event.objects] == ["in/first file.txt", "in/sub/second+third.bin"]
    assert [ref.event_name for ref in event.objects] == [
        "ObjectCreated:Put",
        "ObjectCreated:CompleteMultipartUpload",
    ]
    assert event.objects[1].version_id == "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY"
    assert [(s.event_name, s.key) for s in event.skipped] == [
        ("ObjectRemoved:Delete", "in/gone.txt")
    ]


def test_a_record_without_an_event_name_is_skipped_not_processed() -> None:
    document = json.loads(notification("b", "k"))
    del document["Records"][0]["eventName"]

    event = parse(json.dumps(document).encode())

    assert event.objects == ()
    assert event.skipped[0].reason.startswith("an unnamed event")


@pytest.mark.parametrize("version_id", ["", None, 7])
def test_an_empty_or_non_text_version_id_means_no_version(version_id: object) -> None:
    event = parse(notification("b", "k", versionId=version_id))

    assert event.objects[0].version_id is None


@pytest.mark.parametrize("size", ["12", True, None, 1.5])
def test_a_size_that_is_not_an_integer_is_unknown(size: object) -> None:
    event = parse(notification("b", "k", size=size))

    assert event.objects[0].size is None


def test_a_missing_etag_is_none() -> None:
    document = json.loads(notification("b", "k"))
    del document["Records"][0]["s3"]["object"]["eTag"]

    assert parse(json.dumps(document).encode()).objects[0].etag is None


def _remove(*path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


def _set(value: object, *path: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (_remove("Records"), "'Records'"),
        (_set("not a list", "Records"), "'Records'"),
        (_set("text", "Records", 0), "Records[0]: expected an object, found str"),
        (_remove("Records", 0, "s3"), "Records[0].s3: expected an object, found nothing"),
        (_set([], "Records", 0, "s3"), "Records[0].s3: expected an object, found list"),
        (_remove("Records", 0, "s3", "bucket"), "Records[0].s3.bucket: expected an object"),
        (_remove("Records", 0, "s3", "bucket", "name"), "Records[0].s3.bucket.name"),
        (_set(5, "Records", 0, "s3", "bucket", "name"), "Records[0].s3.bucket.name"),
        (_remove("Records", 0, "s3", "object"), "Records[0].s3.object: expected an object"),
        (_remove("Records", 0, "s3", "object", "key"), "Records[0].s3.object.key"),
        (
            _set(42, "Records", 0, "s3", "object", "key"),
            "Records[0].s3.object.key: expected a string, found int",
        ),
        (
            _set("", "Records", 0, "s3", "object", "key"),
            "Records[0].s3.object.key: expected an object key, found an empty one",
        ),
        (
            _set("", "Records", 0, "s3", "bucket", "name"),
            "Records[0].s3.bucket.name: expected a bucket name, found an empty one",
        ),
    ],
)
def test_a_malformed_event_is_a_bad_request_naming_the_field(
    mutate: Callable[[dict[str, Any]], None], named: str
) -> None:
    document = json.loads(recorded("minio_put.json"))
    mutate(document)

    with pytest.raises(BadRequest) as raised:
        parse(json.dumps(document).encode())

    assert named in raised.value.message
    assert raised.value.status == 400


def test_the_field_named_is_in_the_record_that_is_wrong() -> None:
    document = json.loads(recorded("aws_several_records.json"))
    broken = copy.deepcopy(document["Records"][0])
    broken["s3"]["object"]["key"] = None
    document["Records"].append(broken)

    with pytest.raises(BadRequest, match=r"Records\[3\]\.s3\.object\.key"):
        parse(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"not json at all", "not JSON"),
        (b"\xff\xfe\x00garbage", "not JSON"),
        (b"[1, 2, 3]", "found list"),
        (b'"a string"', "found str"),
        (b"null", "found nothing"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(body: bytes, expected: str) -> None:
    with pytest.raises(BadRequest, match=expected):
        parse(body)


def test_an_event_encoded_as_utf16_is_a_bad_request() -> None:
    body = recorded("minio_put.json").decode("utf-8").encode("utf-16")

    with pytest.raises(BadRequest):
        parse(body)


@pytest.mark.parametrize("name", RECORDED)
def test_every_recorded_event_is_sniffed_as_an_event(name: str) -> None:
    body = recorded(name)

    assert sniff(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "a plain JSON file", "Records": "many"}',
        b'{"Records": [{"title": "a record without s3"}]}',
        b'{"Records": ["text"]}',
        b'{"Event": "s3:SomethingElse"}',
        b'[{"s3": {}}]',
        b"42",
        b"plain text, not JSON",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"",
    ],
)
def test_bodies_that_are_not_events_are_not_sniffed(body: bytes) -> None:
    assert sniff(body) is None


def test_an_event_padded_past_the_size_limit_is_not_sniffed() -> None:
    body = recorded("minio_put.json")
    # Trailing whitespace keeps it valid JSON, so only the size can make sniff refuse it.
    padded = body + b" " * (MAX_EVENT_BYTES + 1 - len(body))
    assert json.loads(padded) == json.loads(body)

    assert sniff(padded) is None


def test_an_event_exactly_at_the_size_limit_is_sniffed() -> None:
    body = recorded("minio_put.json")
    padded = body + b" " * (MAX_EVENT_BYTES - len(body))

    assert sniff(padded) is not None

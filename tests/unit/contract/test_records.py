"""contract.records: what a notification announces, and the reasons it is refused."""

from __future__ import annotations

import json

import pytest

from contract.errors import BadEvent
from contract.records import parse_notification
from tests.support.events import minio_event, minio_record, notification


def test_a_key_is_decoded_once() -> None:
    created = parse_notification(notification("b", "in/100%25 a+b.png")).created

    assert [c.key for c in created] == ["in/100%25 a+b.png"]


@pytest.mark.parametrize("version", ["", "null"])
def test_no_version_and_the_null_version_are_no_identity(version: str) -> None:
    (created,) = parse_notification(notification("b", "k", etag="e1", versionId=version)).created

    assert created.version_id is None
    assert created.identity == "e1"


def test_a_kept_version_is_the_identity() -> None:
    (created,) = parse_notification(notification("b", "k", etag="e1", versionId="v7")).created

    assert created.identity == "v7"


def test_the_reason_names_the_record_and_the_field() -> None:
    body = minio_event(minio_record("b", "ok"), minio_record("b", "x"), minio_record("b", "a\x00"))

    with pytest.raises(BadEvent) as refused:
        parse_notification(body)

    assert refused.value.reason == (
        "Records[2].s3.object.key: holds a NUL character, which no object name can"
    )


def test_an_etag_that_is_not_utf8_text_is_refused() -> None:
    body = notification("b", "k", etag="\ud800")

    with pytest.raises(BadEvent, match=r"Records\[0\]\.s3\.object\.eTag: is not UTF-8 text"):
        parse_notification(body)


def test_deletes_are_ignored_but_still_checked() -> None:
    sound = notification("b", "gone", event_name="s3:ObjectRemoved:Delete")
    broken = notification("", "gone", event_name="s3:ObjectRemoved:Delete")

    assert len(parse_notification(sound).ignored) == 1
    with pytest.raises(BadEvent, match=r"s3\.bucket\.name: expected a bucket name"):
        parse_notification(broken)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{", "not JSON"),
        (b"[]", "found list"),
        (b"{}", "found no Records under 'Records'"),
        (json.dumps({"Records": {}}).encode(), "found dict under 'Records'"),
    ],
)
def test_a_body_that_is_no_notification_says_what_it_is(body: bytes, reason: str) -> None:
    with pytest.raises(BadEvent, match=reason):
        parse_notification(body)

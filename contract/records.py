"""A MinIO / S3 notification, read into the objects it announces: one rule for every deployable.

MinIO posts `{"EventName", "Key", "Records": [...]}`; AWS S3 posts `{"Records": [...]}` with
event names lacking the `s3:` prefix. Keys arrive query-escaped (`a+b%2Fc`): they are decoded
with `unquote_plus` once, here, and a job carries the decoded key from then on.

A record's bucket, key and time become ledger rows, file names and a script's environment, so
what none of those can hold is refused with the place it was found (`Records[2].s3.object.key:
holds a NUL character, ...`): a caller answers 400 instead of keeping a job that can never run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from contract.errors import BadEvent
from contract.identity import kept_version

CREATED = ("s3:ObjectCreated:", "ObjectCreated:")
# S3 and MinIO refuse keys longer than this many bytes of UTF-8.
MAX_KEY_BYTES = 1024


@dataclass(frozen=True, kw_only=True)
class Created:
    """One object that a record says was created: the unit of work of one script run."""

    bucket: str
    key: str  # decoded once, from the record's query-escaped key
    etag: str | None
    version_id: str | None  # a version that identifies this upload (see contract.identity)
    size: int | None
    event_name: str
    event_time: str
    record: Mapping[str, Any]  # as it arrived: what the script reads in $EVENT

    @property
    def identity(self) -> str:
        """What a repeated event for the same upload shares: its version id, else its etag."""
        return self.version_id or self.etag or ""


@dataclass(frozen=True)
class Ignored:
    """A record that creates nothing (a delete, a tag change...): valid, but no job."""

    event_name: str
    key: str
    reason: str


@dataclass(frozen=True)
class Notification:
    created: tuple[Created, ...]
    ignored: tuple[Ignored, ...]


def decode_json(body: bytes) -> object:
    """The JSON value of a body; events are UTF-8, whatever JSON allows."""
    try:
        return json.loads(body.decode("utf-8"))
    # RecursionError: nested deeper than the parser goes, which no notification is.
    except (ValueError, RecursionError) as e:
        raise BadEvent(
            f"expected a storage notification as JSON, but the body is not JSON: {e}"
        ) from e


def parse_notification(body: bytes) -> Notification:
    """The records of a notification body; anything else raises BadEvent with the reason."""
    return read_notification(decode_json(body))


def read_notification(document: object) -> Notification:
    if not isinstance(document, dict):
        raise BadEvent(
            "expected a storage notification (a JSON object with a 'Records' list), "
            f"found {kind(document)}"
        )
    records = document.get("Records")
    if not isinstance(records, list):
        raise BadEvent(
            "expected a storage notification with a 'Records' list; "
            f"found {'no Records' if records is None else kind(records)} under 'Records'"
        )
    created: list[Created] = []
    ignored: list[Ignored] = []
    for index, record in enumerate(records):
        ref = read_record(record, where=f"Records[{index}]")
        if ref.event_name.startswith(CREATED):
            created.append(ref)
        else:
            reason = f"{ref.event_name or 'an unnamed event'} is not an object creation; ignored"
            ignored.append(Ignored(ref.event_name, ref.key, reason))
    return Notification(tuple(created), tuple(ignored))


def read_record(record: object, *, where: str = "Records[0]") -> Created:
    """One record, whatever its event name: every record of a notification must be sound."""
    if not isinstance(record, dict):
        raise BadEvent(f"{where}: expected an object, found {kind(record)}")
    s3 = _field(record, "s3", dict, where)
    bucket = _field(_field(s3, "bucket", dict, f"{where}.s3"), "name", str, f"{where}.s3.bucket")
    check_bucket(bucket, f"{where}.s3.bucket.name")
    obj = _field(s3, "object", dict, f"{where}.s3")
    key = unquote_plus(_field(obj, "key", str, f"{where}.s3.object"))
    check_key(key, f"{where}.s3.object.key")
    event_time = str(record.get("eventTime", ""))
    check_text(event_time, f"{where}.eventTime")
    size = obj.get("size")
    return Created(
        bucket=bucket,
        key=key,
        etag=_optional_text(obj, "eTag", f"{where}.s3.object"),
        version_id=kept_version(_optional_text(obj, "versionId", f"{where}.s3.object")),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        event_name=str(record.get("eventName", "")),
        event_time=event_time,
        record=record,
    )


def check_key(key: str, where: str) -> None:
    """A decoded object key that storage, a ledger row and a file name can all hold."""
    if not key:
        raise BadEvent(f"{where}: expected an object key, found an empty one")
    check_text(key, where)
    size = len(key.encode("utf-8"))
    if size > MAX_KEY_BYTES:
        raise BadEvent(
            f"{where}: is {size} bytes of UTF-8, but an object key holds at most {MAX_KEY_BYTES}"
        )


def check_bucket(bucket: str, where: str) -> None:
    if not bucket:
        raise BadEvent(f"{where}: expected a bucket name, found an empty one")
    check_text(bucket, where)


def check_text(text: str, where: str) -> None:
    """JSON can spell a NUL (`\\u0000`, or `%00` in a key) and lone surrogates (`\\ud800`); no
    object name has them, and neither an environment value nor a file name can."""
    if "\x00" in text:
        raise BadEvent(f"{where}: holds a NUL character, which no object name can")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadEvent(f"{where}: is not UTF-8 text ({e.reason})") from e


def kind(value: object) -> str:
    """How a JSON value is named in a reason: `nothing` for null or absent."""
    return "nothing" if value is None else type(value).__name__


def _field(container: Mapping[str, Any], name: str, expected: type, where: str) -> Any:
    value = container.get(name)
    if not isinstance(value, expected):
        raise BadEvent(
            f"{where}.{name}: expected {'an object' if expected is dict else 'a string'}, "
            f"found {kind(value)}"
        )
    return value


def _optional_text(container: Mapping[str, Any], name: str, where: str) -> str | None:
    """An optional string field: absent, null or of another kind is None (no notification
    sender writes a number there, and a version that is not text names no version); text is
    held to the same rules as a key, since it becomes a ledger row."""
    value = container.get(name)
    if not isinstance(value, str):
        return None
    check_text(value, f"{where}.{name}")
    return value

"""Turn a request body into storage-event records: MinIO and AWS S3 notifications.

MinIO posts `{"EventName", "Key", "Records": [...]}`; AWS S3 posts `{"Records": [...]}` with
event names lacking the `s3:` prefix. Keys arrive query-escaped (`a+b%2Fc`), so they are decoded
with `unquote_plus` once, here, and nowhere else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from supervisor.errors import BadRequest

_CREATED = ("s3:ObjectCreated:", "ObjectCreated:")
# A body larger than this is never sniffed as an event: it is a file sent synchronously.
MAX_EVENT_BYTES = 1 << 20


@dataclass(frozen=True)
class ObjectRef:
    """One object that a record says was created: the unit of work of one script run."""

    bucket: str
    key: str
    etag: str | None
    version_id: str | None
    size: int | None
    event_name: str
    event_time: str
    record: Mapping[str, Any]


@dataclass(frozen=True)
class Skipped:
    event_name: str
    key: str
    reason: str


@dataclass(frozen=True)
class StorageEvent:
    raw: str
    objects: tuple[ObjectRef, ...]
    skipped: tuple[Skipped, ...]


def sniff(body: bytes) -> Mapping[str, Any] | None:
    """Return the parsed body when it is shaped like a storage notification, else None."""
    if len(body) > MAX_EVENT_BYTES:
        return None
    try:
        document = json.loads(body.decode("utf-8"))
    # UnicodeDecodeError included: events are UTF-8, whatever JSON allows; RecursionError:
    # nested deeper than the parser goes, which no notification is.
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    records = document.get("Records")
    if isinstance(records, list) and all(isinstance(r, dict) and "s3" in r for r in records):
        return document
    if document.get("Event") == "s3:TestEvent":
        return document
    return None


def parse(body: bytes) -> StorageEvent:
    """Parse a body that must be a storage event; anything else is a 400 with the reason."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise BadRequest(f"expected a storage event as JSON, but the body is not JSON: {e}") from e
    if not isinstance(document, dict):
        raise BadRequest(
            f"expected a storage event (a JSON object with 'Records'), found {_kind(document)}"
        )
    records = document.get("Records", [] if document.get("Event") == "s3:TestEvent" else None)
    if not isinstance(records, list):
        raise BadRequest("expected a storage event with a 'Records' list; found no 'Records'")
    objects: list[ObjectRef] = []
    skipped: list[Skipped] = []
    for index, record in enumerate(records):
        ref = _record(index, record)
        if ref.event_name.startswith(_CREATED):
            objects.append(ref)
        else:
            reason = f"{ref.event_name or 'an unnamed event'} is not an object creation; ignored"
            skipped.append(Skipped(ref.event_name, ref.key, reason))
    return StorageEvent(raw=body.decode("utf-8"), objects=tuple(objects), skipped=tuple(skipped))


def _record(index: int, record: object) -> ObjectRef:
    where = f"Records[{index}]"
    if not isinstance(record, dict):
        raise BadRequest(f"{where}: expected an object, found {_kind(record)}")
    s3 = _field(record, "s3", dict, where)
    bucket = _field(_field(s3, "bucket", dict, f"{where}.s3"), "name", str, f"{where}.s3.bucket")
    obj = _field(s3, "object", dict, f"{where}.s3")
    key = unquote_plus(_field(obj, "key", str, f"{where}.s3.object"))
    if not bucket or not key:
        raise BadRequest(f"{where}: bucket name and object key must not be empty")
    event_time = str(record.get("eventTime", ""))
    for name, text in (
        ("s3.bucket.name", bucket),
        ("s3.object.key", key),
        ("eventTime", event_time),
    ):
        _check_text(text, f"{where}.{name}")
    size = obj.get("size")
    return ObjectRef(
        bucket=bucket,
        key=key,
        etag=_optional_str(obj.get("eTag")),
        version_id=_optional_str(obj.get("versionId")) or None,
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        event_name=str(record.get("eventName", "")),
        event_time=event_time,
        record=record,
    )


def _check_text(text: str, where: str) -> None:
    """Bucket, key and time become file names and the script's environment: text those hold.

    JSON can spell a NUL (`\\u0000`, or `%00` in a key) and lone surrogates (`\\ud800`); no
    object name has them, and an environment value or a file name cannot.
    """
    if "\x00" in text:
        raise BadRequest(f"{where}: holds a NUL character, which no object name can")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadRequest(f"{where}: is not UTF-8 text ({e.reason})") from e


def _field(container: Mapping[str, Any], name: str, kind: type, where: str) -> Any:
    value = container.get(name)
    if not isinstance(value, kind):
        raise BadRequest(
            f"{where}.{name}: expected {'an object' if kind is dict else 'a string'}, "
            f"found {_kind(value)}"
        )
    return value


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _kind(value: object) -> str:
    return "nothing" if value is None else type(value).__name__

"""MinIO's webhook body, read into the objects it announces (one event per record).

The supervisor parses events too, but the gateway and the supervisor never import each other:
each is its own deployable. The gateway only needs bucket, decoded key, version identity and the
record itself (passed on to the function untouched, one record per job).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeGuard
from urllib.parse import unquote_plus

from contract.identity import kept_version
from gateway.errors import BadRequest

CREATED = ("s3:ObjectCreated:", "ObjectCreated:")


@dataclass(frozen=True)
class Announced:
    bucket: str
    key: str
    identity: str  # version id when the bucket is versioned, else the etag
    event_name: str
    record: dict[str, Any]

    def event_json(self) -> str:
        """The event the function receives: MinIO's shape, with this record only."""
        return json.dumps(
            {
                "EventName": self.event_name,
                "Key": f"{self.bucket}/{self.key}",
                "Records": [self.record],
            },
            separators=(",", ":"),
        )


def parse_notification(body: bytes) -> tuple[list[Announced], int]:
    """The created objects of a notification, and how many records were ignored (deletes...)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as e:  # nested deeper than the parser goes: not JSON
        raise BadRequest(
            f"expected a MinIO notification (JSON), but the body is not JSON: {e}"
        ) from e
    if not isinstance(document, dict) or not isinstance(document.get("Records"), list):
        raise BadRequest("expected a MinIO notification: a JSON object with a 'Records' list")
    announced: list[Announced] = []
    ignored = 0
    for index, record in enumerate(document["Records"]):
        where = f"Records[{index}]"
        if not isinstance(record, dict):
            raise BadRequest(f"{where}: expected an object")
        name = str(record.get("eventName", ""))
        s3 = _mapping(record.get("s3"))
        bucket = _mapping(s3.get("bucket")).get("name")
        obj = _mapping(s3.get("object"))
        key = obj.get("key")
        if not _text(bucket) or not _text(key):
            raise BadRequest(
                f"{where}: expected s3.bucket.name and s3.object.key, non-empty UTF-8 strings"
            )
        identity = str(kept_version(obj.get("versionId")) or obj.get("eTag") or "")
        if identity and not _text(identity):
            raise BadRequest(f"{where}: s3.object.versionId or eTag is not UTF-8 text")
        if not name.startswith(CREATED):
            ignored += 1
            continue
        announced.append(Announced(bucket, unquote_plus(key), identity, name, record))
    return announced, ignored


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> TypeGuard[str]:
    """A non-empty string UTF-8 can carry: JSON's `\\ud800` escapes make lone surrogates, which
    neither the ledger nor MinIO can hold."""
    if not isinstance(value, str) or not value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

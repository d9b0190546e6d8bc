"""MinIO's webhook body, read into the objects it announces (one event per record).

The supervisor parses events too, but the gateway and the supervisor never import each other:
each is its own deployable. The gateway only needs bucket, decoded key, version identity and the
record itself (passed on to the function untouched, one record per job).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

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
    except ValueError as e:
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
        s3 = record.get("s3")
        bucket = s3.get("bucket", {}).get("name") if isinstance(s3, dict) else None
        obj = s3.get("object") if isinstance(s3, dict) else None
        key = obj.get("key") if isinstance(obj, dict) else None
        if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
            raise BadRequest(f"{where}: expected s3.bucket.name and s3.object.key strings")
        if not name.startswith(CREATED):
            ignored += 1
            continue
        identity = str(obj.get("versionId") or obj.get("eTag") or "")  # type: ignore[union-attr]
        announced.append(Announced(bucket, unquote_plus(key), identity, name, record))
    return announced, ignored

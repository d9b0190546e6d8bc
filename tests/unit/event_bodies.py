"""Event bodies for tests: the recorded ones under events/, and minimal ones built on the spot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

EVENTS = Path(__file__).parent / "events"
RECORDED = sorted(path.name for path in EVENTS.glob("*.json"))


def recorded(name: str) -> bytes:
    """The bytes of a recorded event, exactly as the server sent them."""
    return (EVENTS / name).read_bytes()


def minio_event(
    bucket: str, key: str, *, event_name: str = "s3:ObjectCreated:Put", **obj: Any
) -> bytes:
    """A minimal MinIO-shaped event for one object, its key query-escaped as MinIO does."""
    record = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "eventTime": "2024-05-14T09:31:12.345Z",
        "eventName": event_name,
        "s3": {
            "bucket": {"name": bucket},
            # Go's url.QueryEscape: `/` becomes %2F and a space becomes `+`.
            "object": {"key": quote_plus(key, safe=""), "size": 1, "eTag": "e", **obj},
        },
    }
    document = {"EventName": event_name, "Key": f"{bucket}/{key}", "Records": [record]}
    return json.dumps(document).encode("utf-8")

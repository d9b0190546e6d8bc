"""Storage events shaped like the ones MinIO posts: the one builder of records for every tier.

Keys are query-escaped as MinIO escapes them (Go's `url.QueryEscape`: `/` is `%2F`, a space is
`+`); a key that UTF-8 cannot carry (a lone surrogate) goes in raw, as JSON spells it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus

EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"


def escape_key(key: str) -> str:
    try:
        return quote_plus(key, safe="")
    except UnicodeEncodeError:
        return key


def minio_record(
    bucket: str,
    key: str,
    *,
    etag: str | None = EMPTY_ETAG,
    size: object = 0,
    event_name: str = "s3:ObjectCreated:Put",
    event_time: str = "2026-11-25T12:00:00.000Z",
    escape: bool = True,
    **obj: Any,
) -> dict[str, Any]:
    """One record; `escape=False` puts the key in as given, `obj` adds or replaces fields of
    `s3.object` (`versionId=...`)."""
    found: dict[str, Any] = {
        "key": escape_key(key) if escape else key,
        "size": size,
        "eTag": etag,
        "contentType": "application/octet-stream",
        "sequencer": "1873E0A9C5D1A2B3",
        **obj,
    }
    if etag is None:
        del found["eTag"]
    return {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventTime": event_time,
        "eventName": event_name,
        "userIdentity": {"principalId": "oscar-test-admin"},
        "requestParameters": {
            "principalId": "oscar-test-admin",
            "region": "",
            "sourceIPAddress": "127.0.0.1",
        },
        "responseElements": {"x-amz-request-id": "1873E0A9C5C2F4D1"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "Config",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": "oscar-test-admin"},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": found,
        },
        "source": {
            "host": "127.0.0.1",
            "port": "",
            "userAgent": "MinIO (linux; amd64) minio-go/v7",
        },
    }


def minio_document(*records: dict[str, Any]) -> dict[str, Any]:
    """The body MinIO posts for `records`, as a JSON value (for tests that mutate it)."""
    first = records[0]
    bucket = first["s3"]["bucket"]["name"]
    return {
        "EventName": first["eventName"],
        "Key": f"{bucket}/{first['s3']['object']['key']}",
        "Records": list(records),
    }


def minio_event(*records: dict[str, Any]) -> bytes:
    return json.dumps(minio_document(*records)).encode()


def notification(bucket: str, key: str, **fields: Any) -> bytes:
    """The body MinIO posts for one object: `minio_record`'s keywords apply."""
    return minio_event(minio_record(bucket, key, **fields))

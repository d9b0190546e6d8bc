"""Storage events shaped like the ones MinIO posts (keys query-escaped, as MinIO does)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote_plus


def minio_record(
    bucket: str,
    key: str,
    *,
    etag: str = "d41d8cd98f00b204e9800998ecf8427e",
    size: int = 0,
    event_name: str = "s3:ObjectCreated:Put",
    event_time: str = "2026-11-25T12:00:00.000Z",
) -> dict[str, Any]:
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
            "object": {
                "key": quote_plus(key),
                "size": size,
                "eTag": etag,
                "contentType": "application/octet-stream",
                "sequencer": "1873E0A9C5D1A2B3",
            },
        },
        "source": {
            "host": "127.0.0.1",
            "port": "",
            "userAgent": "MinIO (linux; amd64) minio-go/v7",
        },
    }


def minio_event(*records: dict[str, Any]) -> bytes:
    first = records[0]
    bucket = first["s3"]["bucket"]["name"]
    return json.dumps(
        {
            "EventName": first["eventName"],
            "Key": f"{bucket}/{first['s3']['object']['key']}",
            "Records": list(records),
        }
    ).encode()

"""The job the gateway sends to a function: one created object for one service.

On the wire it is the MinIO event the script reads as `$EVENT` (one record), with the job's own
fields beside it under `OscarJob`:

    {"EventName": "s3:ObjectCreated:Put", "Key": "photos/in/a b.png", "Records": [record],
     "OscarJob": {"service": "grayify", "bucket": "photos", "key": "in/a b.png",
                  "identity": "<version id or etag>", "id": "<job id>", "attempt": 1,
                  "call": "<call id>", "results": "oscar-results"}}

So a supervisor that knows nothing of jobs (OSCAR's, or an older one) still reads a MinIO event,
and ours takes bucket and key from `OscarJob`, already decoded by the gateway, instead of decoding
the record's escaped key a second time. The record stays as MinIO (or the reconciler, which
escapes keys as MinIO does so that scripts that read `$EVENT` decode them the same way) wrote it.

`call` (the attempt's call id) and `results` (the bucket where the function records the
attempt's result, `contract.results`) are optional: without `results` nothing is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from contract.errors import BadEvent, BadJob
from contract.identity import kept_version
from contract.records import Created, check_bucket, check_key, check_text, decode_json, kind

JOB_FIELD = "OscarJob"
_JOB_TEXT = ("service", "bucket", "key", "identity", "id")
_OPTIONAL = ("call", "results")


def event_json(*, bucket: str, key: str, event_name: str, record: Mapping[str, Any]) -> str:
    """The event a function's script receives: MinIO's shape, with this one record."""
    return json.dumps(
        {"EventName": event_name, "Key": f"{bucket}/{key}", "Records": [record]},
        separators=(",", ":"),
    )


@dataclass(frozen=True, kw_only=True)
class Job:
    service: str
    bucket: str
    key: str  # decoded: the object's real name
    identity: str  # what the gateway deduplicates on: version id, else etag
    job_id: str
    attempt: int  # 1 for the first try
    event_name: str
    record: Mapping[str, Any]  # the original record, for `$EVENT`
    call_id: str = ""  # the attempt's call id, when the gateway sent one
    results_bucket: str = ""  # where the attempt's result is recorded; "": not recorded

    def event_json(self) -> str:
        return event_json(
            bucket=self.bucket, key=self.key, event_name=self.event_name, record=self.record
        )

    def fields(self) -> dict[str, Any]:
        """The job's own fields, as `OscarJob` carries them."""
        fields: dict[str, Any] = {
            "service": self.service,
            "bucket": self.bucket,
            "key": self.key,
            "identity": self.identity,
            "id": self.job_id,
            "attempt": self.attempt,
        }
        if self.call_id:
            fields["call"] = self.call_id
        if self.results_bucket:
            fields["results"] = self.results_bucket
        return fields

    def to_json(self) -> bytes:
        document = json.loads(self.event_json())
        document[JOB_FIELD] = self.fields()
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, body: bytes) -> Job:
        document = decode_json(body)
        if not is_job(document):
            raise BadJob(f"expected a job: a JSON object with {JOB_FIELD!r} beside the event")
        return cls.from_document(document)

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Job:
        fields = document.get(JOB_FIELD)
        if not isinstance(fields, dict):
            raise BadJob(f"{JOB_FIELD}: expected an object, found {kind(fields)}")
        records = document.get("Records")
        if not isinstance(records, list) or len(records) != 1 or not isinstance(records[0], dict):
            raise BadJob("Records: a job carries exactly one record, an object")
        text = {name: _text(fields, name) for name in _JOB_TEXT}
        check_bucket(text["bucket"], f"{JOB_FIELD}.bucket")
        check_key(text["key"], f"{JOB_FIELD}.key")
        attempt = fields.get("attempt")
        if not isinstance(attempt, int) or isinstance(attempt, bool) or attempt < 1:
            raise BadJob(f"{JOB_FIELD}.attempt: expected a positive integer, found {attempt!r}")
        record = records[0]
        check_text(str(record.get("eventTime", "")), "Records[0].eventTime")
        optional = {name: _text(fields, name) if name in fields else "" for name in _OPTIONAL}
        if optional["results"]:
            check_bucket(optional["results"], f"{JOB_FIELD}.results")
        return cls(
            service=text["service"],
            bucket=text["bucket"],
            key=text["key"],
            identity=text["identity"],
            job_id=text["id"],
            attempt=attempt,
            event_name=str(document.get("EventName", record.get("eventName", ""))),
            record=record,
            call_id=optional["call"],
            results_bucket=optional["results"],
        )

    @classmethod
    def from_stored(
        cls, *, service: str, job_id: str, attempt: int, bucket: str, key: str,
        identity: str, event: str, call_id: str = "", results_bucket: str = "",
    ) -> Job:  # fmt: skip
        """The job of a ledger row, whose `event` column holds the event text (rows of every
        version of the gateway do); a row whose text holds no record sends an empty one."""
        try:
            document = json.loads(event)
        except ValueError:
            document = {}
        records = document.get("Records") if isinstance(document, dict) else None
        record = records[0] if isinstance(records, list) and records else {}
        record = record if isinstance(record, dict) else {}
        name = document.get("EventName") if isinstance(document, dict) else None
        return cls(
            service=service,
            bucket=bucket,
            key=key,
            identity=identity,
            job_id=job_id,
            attempt=attempt,
            event_name=str(name if name is not None else record.get("eventName", "")),
            record=record,
            call_id=call_id,
            results_bucket=results_bucket,
        )

    def created(self) -> Created:
        """The object to process: bucket and key from the job, the rest from its record."""
        s3 = self.record.get("s3")
        obj = s3.get("object") if isinstance(s3, dict) else None
        obj = obj if isinstance(obj, dict) else {}
        etag, version, size = obj.get("eTag"), obj.get("versionId"), obj.get("size")
        return Created(
            bucket=self.bucket,
            key=self.key,
            etag=etag if isinstance(etag, str) else None,
            version_id=kept_version(version) if isinstance(version, str) else None,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            event_name=self.event_name,
            event_time=str(self.record.get("eventTime", "")),
            record=self.record,
        )


def is_job(document: object) -> TypeGuard[dict[str, Any]]:
    """True for a body that carries a job beside its event (what our gateway sends)."""
    return isinstance(document, dict) and JOB_FIELD in document


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise BadJob(f"{JOB_FIELD}.{name}: expected a string, found {kind(value)}")
    try:
        check_text(value, f"{JOB_FIELD}.{name}")
    except BadEvent as e:
        raise BadJob(e.reason) from e
    return value

"""An attempt's result, recorded by the function where a restarted gateway finds it.

The callback is not the only way a result reaches the gateway: before it answers, the
supervisor writes each attempt's result as a small JSON object in a system bucket (the job says
which, `OscarJob.results`), and the gateway settles an attempt whose callback is overdue from
it. Before running a script the supervisor looks for a success of the same job (any attempt):
a repeated delivery of a job that already succeeded answers with that result instead of
running the script again.

Key: `<service>/<job id>/<attempt>.json` in the results bucket, so one job's records are one
listing and the current attempt's is one GET. Shape (version 1):

    {"version": 1, "service": "grayify", "job": "<job id>", "attempt": 2, "call": "<call id>",
     "status": "succeeded" | "failed", "http_status": 200, "outputs": ["out/a.png"],
     "duration_seconds": 0.41, "exit_code": 0, "log_tail": "...", "error": "",
     "finished_at": 1764630000.5, "repeat_of": null}

`repeat_of` names the attempt whose success a repeated delivery answered with (the script did
not run for this one); `call` is the attempt's call id when the gateway sent one, so a record
left by an earlier life of the same attempt number (a requeued dead letter) is told apart.

A batch (`contract.batch`: several jobs, one call id) is recorded as one object instead, its
*call record* at `<service>/calls/<call id>.json` (job ids are hex, so never `calls`):
`{"version": 1, "service": ..., "call": ..., "records": [<an attempt's record>, ...]}`, one
record per job as above. A record's PUT cost about 2.4 ms of CPU (0.9 ms in minio-py, 1.5 ms
in MinIO), one of a batch of ten about 1.9 ms (measured 2026-12-02, docs/BENCHMARKS.md): a
record per job was the largest per-file cost of the platform's own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from contract.errors import BadRecord
from contract.records import kind

RESULTS_BUCKET = "oscar-results"  # the default system bucket; `OSCAR_RESULTS_BUCKET` names another
VERSION = 1
SUCCEEDED, FAILED = "succeeded", "failed"
CALLS = "calls"  # the folder of a service's call records: not a job id, which is hex
# Service names are DNS labels and job ids hex; anything else must not become a key segment.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


def job_prefix(service: str, job_id: str) -> str:
    """The folder of every record of one job: `<service>/<job id>/`."""
    return f"{_segment(service, 'service')}/{_segment(job_id, 'job id')}/"


def result_key(service: str, job_id: str, attempt: int) -> str:
    """The key of one attempt's record: `<service>/<job id>/<attempt>.json`."""
    if attempt < 1:
        raise BadRecord(f"attempt: expected a positive integer, found {attempt!r}")
    return f"{job_prefix(service, job_id)}{attempt}.json"


def call_key(service: str, call_id: str) -> str:
    """The key of one batch's call record: `<service>/calls/<call id>.json`."""
    return f"{_segment(service, 'service')}/{CALLS}/{_segment(call_id, 'call id')}.json"


@dataclass(frozen=True, kw_only=True)
class AttemptRecord:
    service: str
    job_id: str
    attempt: int
    call_id: str  # "" when the gateway sent none
    status: str  # SUCCEEDED or FAILED
    http_status: int  # what the supervisor answered
    outputs: tuple[str, ...] = ()
    duration_seconds: float | None = None
    exit_code: int | None = None
    log_tail: str = ""
    error: str = ""
    finished_at: float = 0.0
    repeat_of: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def key(self) -> str:
        return result_key(self.service, self.job_id, self.attempt)

    def to_json(self) -> bytes:
        return json.dumps(self.document(), separators=(",", ":")).encode("utf-8")

    def document(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "service": self.service,
            "job": self.job_id,
            "attempt": self.attempt,
            "call": self.call_id,
            "status": self.status,
            "http_status": self.http_status,
            "outputs": list(self.outputs),
            "duration_seconds": self.duration_seconds,
            "exit_code": self.exit_code,
            "log_tail": self.log_tail,
            "error": self.error,
            "finished_at": self.finished_at,
            "repeat_of": self.repeat_of,
        }

    @classmethod
    def from_json(cls, body: bytes) -> AttemptRecord:
        """Read a record; `BadRecord` says what is wrong with one that is not."""
        return cls.from_document(_versioned(body, "a result record"))

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> AttemptRecord:
        status = document.get("status")
        if status not in {SUCCEEDED, FAILED}:
            raise BadRecord(f"status: expected {SUCCEEDED!r} or {FAILED!r}, found {status!r}")
        outputs = document.get("outputs")
        if not isinstance(outputs, list) or not all(isinstance(o, str) for o in outputs):
            raise BadRecord(f"outputs: expected a list of keys, found {kind(outputs)}")
        return cls(
            service=_text(document, "service"),
            job_id=_text(document, "job"),
            attempt=_int(document, "attempt", minimum=1),
            call_id=_text(document, "call", empty=True),
            status=status,
            http_status=_int(document, "http_status", minimum=100),
            outputs=tuple(outputs),
            duration_seconds=_number(document, "duration_seconds"),
            exit_code=_optional_int(document, "exit_code"),
            log_tail=_text(document, "log_tail", empty=True),
            error=_text(document, "error", empty=True),
            finished_at=_number(document, "finished_at") or 0.0,
            repeat_of=_optional_int(document, "repeat_of"),
        )


def call_json(service: str, call_id: str, records: Sequence[AttemptRecord]) -> bytes:
    """A batch's call record: the record of each of its jobs, in one object."""
    document = {
        "version": VERSION,
        "service": service,
        "call": call_id,
        "records": [r.document() for r in records],
    }
    return json.dumps(document, separators=(",", ":")).encode("utf-8")


def read_call(body: bytes) -> tuple[AttemptRecord, ...]:
    """The records of a call record; `BadRecord` says what is wrong with one that is not."""
    document = _versioned(body, "a call record")
    records = document.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise BadRecord(f"records: expected a list of result records, found {kind(records)}")
    return tuple(AttemptRecord.from_document(r) for r in records)


def _versioned(body: bytes, what: str) -> dict[str, Any]:
    try:
        document = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError) as e:
        raise BadRecord(f"{what} must be a JSON object: {e}") from e
    if not isinstance(document, dict):
        raise BadRecord(f"{what} must be a JSON object, found {kind(document)}")
    if document.get("version") != VERSION:
        raise BadRecord(
            f"version: expected {VERSION}, found {document.get('version')!r}; a newer "
            "supervisor wrote it: update the gateway"
        )
    return document


def _segment(text: str, what: str) -> str:
    if not _SEGMENT.fullmatch(text) or text in {".", ".."}:
        raise BadRecord(
            f"{what}: expected letters, digits, '.', '_' or '-' (at most 128), found {text!r}"
        )
    return text


def _text(document: dict[str, Any], name: str, *, empty: bool = False) -> str:
    value = document.get(name, "" if empty else None)
    if not isinstance(value, str) or (not empty and not value):
        raise BadRecord(f"{name}: expected a string, found {kind(value)}")
    return value


def _int(document: dict[str, Any], name: str, *, minimum: int) -> int:
    value = document.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise BadRecord(f"{name}: expected an integer of at least {minimum}, found {value!r}")
    return value


def _optional_int(document: dict[str, Any], name: str) -> int | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise BadRecord(f"{name}: expected an integer or null, found {value!r}")
    return value


def _number(document: dict[str, Any], name: str) -> float | None:
    value = document.get(name)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise BadRecord(f"{name}: expected a number of at least 0 or null, found {value!r}")
    return float(value)

"""Several jobs of one service in one invocation: what the dispatcher sends under a backlog.

A batch of one is exactly the job of `contract.job` (the same bytes), so a function sees no
difference when its service is idle. A batch of several is one MinIO event with a record per
job, and the jobs' own fields beside it under `OscarJobs`, in the records' order:

    {"EventName": "s3:ObjectCreated:Put", "Key": "photos/in/a.png", "Records": [r1, r2],
     "OscarJobs": [{"service": ..., "key": "in/a.png", "id": ..., "attempt": 1, ...}, {...}]}

A supervisor that knows nothing of batches still reads a MinIO event with several records; ours
runs each job on its own (its script's `$EVENT` is that job's one-record event, as for a batch
of one) and answers a result per job, named by the job's id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from contract.errors import BadJob
from contract.job import JOB_FIELD, Job
from contract.records import kind

JOBS_FIELD = "OscarJobs"
# The most jobs one invocation may carry: the event stays far below the supervisor's 1 MiB
# limit (a record is about 1 KiB), and the callback URL, which names every job, below 8 KiB.
MAX_BATCH = 100


@dataclass(frozen=True)
class Batch:
    jobs: tuple[Job, ...]

    def __post_init__(self) -> None:
        if not 1 <= len(self.jobs) <= MAX_BATCH:
            raise BadJob(f"a batch carries 1 to {MAX_BATCH} jobs, found {len(self.jobs)}")

    def to_json(self) -> bytes:
        if len(self.jobs) == 1:
            return self.jobs[0].to_json()
        first = self.jobs[0]
        document = {
            "EventName": first.event_name,
            "Key": f"{first.bucket}/{first.key}",
            "Records": [dict(job.record) for job in self.jobs],
            JOBS_FIELD: [{**job.fields(), "event_name": job.event_name} for job in self.jobs],
        }
        return json.dumps(document, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Batch:
        """The jobs of a body that carries `OscarJob` (one) or `OscarJobs` (several)."""
        if JOB_FIELD in document:
            return cls((Job.from_document(document),))
        fields = document.get(JOBS_FIELD)
        records = document.get("Records")
        if not isinstance(fields, list) or not fields:
            raise BadJob(f"{JOBS_FIELD}: expected a list of jobs, found {kind(fields)}")
        if not isinstance(records, list) or len(records) != len(fields):
            found = len(records) if isinstance(records, list) else kind(records)
            raise BadJob(
                f"Records: a batch carries one record per job ({len(fields)}), found {found}"
            )
        pairs = zip(fields, records, strict=True)
        return cls(tuple(_one(document, job, record) for job, record in pairs))


def is_batch(document: object) -> TypeGuard[dict[str, Any]]:
    """True for a body our gateway sent: one job or several."""
    return isinstance(document, dict) and (JOB_FIELD in document or JOBS_FIELD in document)


def _one(document: Mapping[str, Any], fields: object, record: object) -> Job:
    """One job of a batch, read by the single job's own rules."""
    if not isinstance(record, dict):
        raise BadJob(f"Records: expected objects, found {kind(record)}")
    name = fields.get("event_name") if isinstance(fields, dict) else None
    event_name = name if isinstance(name, str) else document.get("EventName", "")
    return Job.from_document({"EventName": event_name, "Records": [record], JOB_FIELD: fields})

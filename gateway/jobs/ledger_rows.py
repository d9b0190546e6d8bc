"""The ledger's tables and how a row reads as a job or an attempt: what every SQL backend shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gateway.jobs.model import Attempt, Job, JobStatus


def job_from_row(row: Mapping[str, Any]) -> Job:
    return Job(
        id=row["id"],
        service=row["service"],
        bucket=row["bucket"],
        key=row["key"],
        etag=row["etag"],
        event=row["event"],
        status=JobStatus(row["status"]),
        attempts=row["attempts"],
        max_attempts=row["max_attempts"],
        received_at=row["received_at"],
        updated_at=row["updated_at"],
        next_attempt_at=row["next_attempt_at"],
        call_id=row["call_id"],
        dispatched_at=row["dispatched_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        deadline_at=row["deadline_at"],
        duration_seconds=row["duration_seconds"],
        outputs=json.loads(row["outputs"]),
        log_tail=row["log_tail"],
        error=row["error"],
    )


def attempt_from_row(row: Mapping[str, Any]) -> Attempt:
    return Attempt(
        row["number"],
        row["call_id"],
        row["dispatched_at"],
        row["finished_at"],
        row["outcome"],
        row["http_status"],
        row["duration_seconds"],
        row["error"],
    )

"""The ledger's tables and how a row reads as a job or an attempt: what every SQL backend shares."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gateway.jobs.model import Attempt, Job, JobStatus

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    service TEXT NOT NULL,
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    etag TEXT NOT NULL,
    event TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    received_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    next_attempt_at REAL NOT NULL,
    call_id TEXT NOT NULL DEFAULT '',
    dispatched_at REAL,
    started_at REAL,
    finished_at REAL,
    deadline_at REAL,
    duration_seconds REAL,
    outputs TEXT NOT NULL DEFAULT '[]',
    log_tail TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    UNIQUE (service, bucket, key, etag)
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_service ON jobs (service, status, received_at);
CREATE TABLE IF NOT EXISTS service_tokens (
    service TEXT PRIMARY KEY,
    token TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS attempts (
    job_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    call_id TEXT NOT NULL,
    dispatched_at REAL NOT NULL,
    finished_at REAL,
    outcome TEXT NOT NULL DEFAULT 'running',
    http_status INTEGER,
    duration_seconds REAL,
    error TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, number)
);
"""


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

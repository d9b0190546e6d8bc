"""The shapes of the gateway's request and answer bodies: one definition each.

The routes build their JSON through these models (`model_dump(mode="json")`) and
`gateway.http.openapi` describes them from the same models (`model_json_schema`), so what is
answered and what is described cannot drift apart. Inside the gateway, jobs and services stay
plain dataclasses; `from_*` builds the answer from them at the HTTP boundary.

A field typed `X | SkipJsonSchema[None] = None` is left out of the answer when unset (its model
is dumped with `exclude_none`) and described as an optional `X`, never as null.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from flask import Response, jsonify
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from gateway.jobs.model import Attempt as AttemptRow
from gateway.jobs.model import Job as JobRow
from gateway.jobs.model import JobStatus


class Answer(BaseModel):
    """An answer body: built by the gateway, never read from a caller."""

    model_config = ConfigDict(frozen=True)
    omit_none: ClassVar[bool] = False  # True: a None field is left out, not sent as null

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=self.omit_none)


class Problem(Answer):
    path: str = Field(description="the field's place in the document, as `input[0].path`")
    message: str


class Error(Answer):
    omit_none = True
    error: str
    detail: str | SkipJsonSchema[None] = Field(
        default=None, description="the upstream's answer, truncated"
    )
    problems: list[Problem] | SkipJsonSchema[None] = Field(
        default=None, description="a 422's fields at fault, one each"
    )


class Health(Answer):
    omit_none: ClassVar[bool] = True
    status: str = Field(description="ok, or unavailable when the ledger does not answer")
    reason: str | None = Field(default=None, description="why it is unavailable")


class QueuedJob(Answer):
    id: str
    service: str
    key: str


class Queued(Answer):
    jobs: list[QueuedJob] = Field(description="the jobs this notification created")
    duplicates: int = Field(description="objects that had a job already")
    unrouted: int = Field(description="objects no service takes")
    ignored: int = Field(description="records that create nothing")


class CallbackAnswer(Answer):
    omit_none = True
    status: Literal["queued", "succeeded", "dead", "ignored"] = Field(
        description="the job's state now; `ignored` for a stale attempt"
    )
    reason: str | SkipJsonSchema[None] = None
    jobs: dict[str, str] | SkipJsonSchema[None] = Field(
        default=None, description="for a batch: the state of each of its jobs the callback settled"
    )


class Replayed(Answer):
    queued: int
    requeued_dead: int


class Attempt(Answer):
    number: int
    call_id: str
    dispatched_at: float
    finished_at: float | None
    outcome: Literal["running", "succeeded", "failed", "abandoned"]  # abandoned: never sent
    http_status: int | None
    duration_seconds: float | None
    error: str

    @classmethod
    def from_row(cls, attempt: AttemptRow) -> Attempt:
        return cls.model_validate(attempt, from_attributes=True)


class Job(Answer):
    id: str
    service: str
    bucket: str
    key: str
    etag: str
    status: JobStatus
    attempts: int
    max_attempts: int
    received_at: float
    dispatched_at: float | None
    started_at: float | None
    finished_at: float | None
    next_attempt_at: float | None = Field(description="when the job is queued, else null")
    duration_seconds: float | None
    outputs: list[str]
    log_tail: str
    error: str

    @classmethod
    def from_row(cls, job: JobRow) -> Job:
        return cls.model_validate(_job_fields(job))


class JobDetail(Job):
    """A job with its attempts, oldest first."""

    history: list[Attempt]

    @classmethod
    def from_rows(cls, job: JobRow, attempts: list[AttemptRow]) -> JobDetail:
        history = [Attempt.from_row(a) for a in attempts]
        return cls.model_validate({**_job_fields(job), "history": history})


def _job_fields(job: JobRow) -> dict[str, object]:
    return {
        **{name: getattr(job, name) for name in Job.model_fields},
        "next_attempt_at": job.next_attempt_at if job.status == JobStatus.QUEUED else None,
    }


class JobPage(Answer):
    jobs: list[Job]
    limit: int
    offset: int
    total: int = Field(description="how many jobs match the filter, over all pages")


class PlanStep(Answer):
    command: str
    files: dict[str, str] | SkipJsonSchema[None] = None


class Plan(Answer):
    """`?dry_run=true`: the faas-cli steps a change would run."""

    omit_none = True

    name: str
    dry_run: Literal[True]
    plan: list[PlanStep]


class S3Bucket(BaseModel):
    name: str = Field(min_length=1)


class S3Object(BaseModel):
    key: str = Field(min_length=1, description="query-escaped, as MinIO sends it")
    eTag: str = ""
    versionId: str = ""
    size: int = 0


class S3Entity(BaseModel):
    bucket: S3Bucket
    object: S3Object


class NotificationRecord(BaseModel):
    eventName: str = Field(default="", examples=["s3:ObjectCreated:Put"])
    eventTime: str = ""
    s3: S3Entity


class Notification(BaseModel):
    """MinIO's (or S3's) notification: each created object becomes a job.

    Describes the body only: `gateway.jobs.events.parse_notification` reads it, with its own
    messages for what is wrong."""

    EventName: str = ""
    Key: str = ""
    Records: list[NotificationRecord]


class TokenRotated(Answer):
    """A rotation: the new token (shown here once) and when the replaced one stops passing."""

    name: str = Field(description="`service/<name>` or `webhook`")
    token: str
    previous_valid_until: float = Field(description="Unix time; until then the old one passes")


def reply(answer: Answer | list[Answer], status: int = 200) -> tuple[Response, int]:
    """The answer (or a list of them) as the route's JSON response."""
    body = [a.body() for a in answer] if isinstance(answer, list) else answer.body()
    return jsonify(body), status

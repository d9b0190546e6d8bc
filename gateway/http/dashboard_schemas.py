"""The answers of the routes the dashboard needs beyond the CLI's: a bucket's folders and
objects, an upload, a presigned link, and a service's activity over the last hour.

Built and described like every other answer (gateway.http.schemas)."""

from __future__ import annotations

from pydantic import Field

from gateway.http.schemas import Answer


class Buckets(Answer):
    buckets: list[str]


class Entry(Answer):
    key: str = Field(description="the full key; a folder's ends in /")
    folder: bool
    size: int
    modified: float | None = Field(description="Unix time of the last change; null for a folder")


class Listing(Answer):
    bucket: str
    prefix: str
    entries: list[Entry]


class Stored(Answer):
    bucket: str
    key: str
    etag: str


class PresignedLink(Answer):
    url: str = Field(description="GET it, with no credential, until it expires")
    expires_in: int


class Minute(Answer):
    start: float = Field(description="Unix time the minute starts")
    jobs: dict[str, int] = Field(description="jobs received in this minute, by their status now")
    latency_median: float | None = Field(description="upload to script start, seconds")
    latency_max: float | None


class Activity(Answer):
    service: str
    since: float
    minutes: list[Minute] = Field(description="oldest first, one per minute, empty ones too")

"""Turn a request body into the objects to process: a job from our gateway, or a plain MinIO /
AWS S3 notification from any other caller.

The rules of a notification are the contract's (`contract.records`), the same the gateway holds
its webhook to; a job (`contract.job`) names its object with the key the gateway decoded, so
the record's escaped key is not decoded a second time here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contract.batch import Batch, is_batch
from contract.errors import ContractError
from contract.job import Job
from contract.records import Created, Ignored, decode_json, read_notification
from supervisor.errors import BadRequest

# A body larger than this is never sniffed as an event: it is a file sent synchronously.
MAX_EVENT_BYTES = 1 << 20
TEST_EVENT = "s3:TestEvent"  # what AWS S3 sends when a notification is configured


@dataclass(frozen=True)
class StorageEvent:
    raw: str  # what the script gets as $EVENT
    objects: tuple[Created, ...]
    skipped: tuple[Ignored, ...]
    jobs: tuple[Job, ...] = ()  # set when our gateway sent it: one job, or a batch

    @property
    def batched(self) -> bool:
        """Several jobs in one invocation: each is answered on its own (`supervisor.batch`)."""
        return len(self.jobs) > 1


def sniff(body: bytes) -> Mapping[str, Any] | None:
    """Return the parsed body when it is shaped like a storage notification, else None."""
    if len(body) > MAX_EVENT_BYTES:
        return None
    try:
        document = json.loads(body.decode("utf-8"))
    # UnicodeDecodeError included: events are UTF-8, whatever JSON allows; RecursionError:
    # nested deeper than the parser goes, which no notification is.
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    records = document.get("Records")
    if isinstance(records, list) and all(isinstance(r, dict) and "s3" in r for r in records):
        return document
    if document.get("Event") == TEST_EVENT:
        return document
    return None


def parse(body: bytes) -> StorageEvent:
    """Parse a body that must be a job or a storage event; anything else is a 400 with the
    contract's reason."""
    try:
        document = decode_json(body)
        if is_batch(document):
            jobs = Batch.from_document(document).jobs
            # Each job's script gets its own one-record event, whatever the batch's size.
            raw = jobs[0].event_json() if len(jobs) == 1 else ""
            return StorageEvent(raw, tuple(j.created() for j in jobs), (), jobs)
        if isinstance(document, dict) and document.get("Event") == TEST_EVENT:
            document = {"Records": [], **document}  # it announces nothing
        notification = read_notification(document)
    except ContractError as e:
        raise BadRequest(e.reason) from e
    return StorageEvent(body.decode("utf-8"), notification.created, notification.ignored)

"""A batch's call record (`contract.results.call_key`) as the gateway reads it: the settler,
for batches whose callback is overdue, and the callback of a batch whose invocation failed.

The invocation of a batch can fail after some of its jobs finished (a replica killed in the
middle of it: the provider answers 502 for the whole call). The supervisor writes its finished
jobs' results into the call record as it goes (`supervisor.results.FLUSH_SECONDS`), so those
jobs are settled from it as they ended, and only the others are retried: a succeeded job is
not sent again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from contract.errors import BadRecord
from contract.results import AttemptRecord, call_key, read_call
from gateway.jobs.callbacks import read_record
from gateway.jobs.model import AttemptResult

log = logging.getLogger(__name__)


class RecordReader(Protocol):
    """What reading records needs of MinIO (`gateway.clients.storage.Storage` has it)."""

    def read(self, bucket: str, key: str) -> bytes | None: ...


def call_records(
    reader: RecordReader, bucket: str, *, service: str, call_id: str
) -> dict[str, AttemptRecord]:
    """The records of the call, by job id (none when it has no call record, or an unreadable
    one; records that name another call are not the call's)."""
    body = reader.read(bucket, call_key(service, call_id))
    try:
        found = read_call(body) if body is not None else ()
    except BadRecord as e:
        log.warning("call %s: its call record is ignored: %s", call_id, e)
        found = ()
    return {r.job_id: r for r in found if r.call_id == call_id}


def with_recorded(
    outcomes: Sequence[tuple[str, AttemptResult]], records: dict[str, AttemptRecord]
) -> list[tuple[str, AttemptResult]]:
    """The outcomes of a failed batch, each job that its call record says succeeded settled as
    that success instead."""
    settled = []
    for job_id, outcome in outcomes:
        record = records.get(job_id)
        succeeded = record is not None and record.succeeded and not outcome.succeeded
        settled.append((job_id, read_record(record) if succeeded and record else outcome))
    return settled

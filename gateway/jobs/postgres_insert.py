"""A new job on PostgreSQL in one round trip: the INSERT in an autocommit transaction of its
own, told in the same statement that its commit need not wait for the disk (`add` flushes the
WAL after waking the dispatcher, before MinIO gets its 2xx). The transaction `SqlLedger` opens
around its inserts is four round trips (BEGIN, SET LOCAL, the INSERT, COMMIT) before the
dispatcher may see the job, each most of a millisecond on a loaded machine.

Each job commits on its own: an event's jobs need not be all or nothing (a replayed event makes
only those that are missing), and an insert that waits on another replica's insert of the same
identity holds no other row meanwhile, so no order of identities is needed against deadlocks.
A job that exists already is read by a second statement: its snapshot is taken after the
INSERT has waited for that other insert's commit (the INSERT's own snapshot predates it).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from gateway.jobs.model import JobStatus, NewJob

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import DictRow

INSERT = f"""
WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true))
INSERT INTO jobs (id, service, bucket, key, etag, event, status, max_attempts, received_at,
    updated_at, next_attempt_at)
SELECT %s, %s, %s, %s, %s, %s, '{JobStatus.QUEUED}', %s, %s, %s, %s FROM unsynced
ON CONFLICT DO NOTHING RETURNING *
"""  # noqa: S608 - the status is the enum's constant
EXISTING = "SELECT * FROM jobs WHERE service=%s AND bucket=%s AND key=%s AND etag=%s"


def insert_job(conn: psycopg.Connection[DictRow], new: NewJob) -> tuple[DictRow, bool]:
    """`new` inserted unless its identity exists, on an autocommit connection: (its row,
    whether this made it)."""
    identity = (new.service, new.bucket, new.key, new.etag)
    at = new.received_at
    args = (uuid.uuid4().hex, *identity, new.event, new.max_attempts, at, at, at)
    inserted = conn.execute(INSERT, args).fetchone()
    if inserted is not None:
        return inserted, True
    row = conn.execute(EXISTING, identity).fetchone()
    assert row is not None  # there before: the identity is unique, and jobs keep their rows
    return row, False

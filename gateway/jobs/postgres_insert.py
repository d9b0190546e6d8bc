"""A new job on PostgreSQL in one round trip, claimed by that same round trip when its service
is idle: one call of `oscar_add`, a function that migration 9 creates, in an autocommit
transaction of its own that turns off its own synchronous commit (`add` flushes the WAL after
telling the dispatcher, before MinIO gets its 2xx). The transaction `SqlLedger` opens around
its inserts is four round trips (BEGIN, SET LOCAL, the INSERT, COMMIT) before the dispatcher
may see the job, and the dispatcher's claim (`oscar_claim`) one more after its wake-up, each
most of a millisecond on a loaded machine (docs/BENCHMARKS.md, "Reading the ledger numbers").

The function inserts the job unless its identity exists (then it reads the row that does, in a
statement of its own: its snapshot is taken after the INSERT has waited for the other insert's
commit, which the INSERT's own snapshot predates). With `p_claim`, a job it made is then
claimed as a batch of one, as `oscar_claim` would claim it (running, its first attempt's row,
the lease to this replica), when the service is idle: the service's claim lock taken without
waiting (`pg_try_advisory_xact_lock`: another claim under way means the dispatcher's path,
which waits for it), then, each in a statement that sees every claim committed before it, a
free slot of the service's concurrency (and none of its invocations running when
`p_hold_when_busy`: such a service waits to fill a batch), and no other job of it due (a
backlog goes through the dispatcher, in order and in batches). Otherwise the job stays queued
and the dispatcher, woken, claims it.

Each job commits on its own: an event's jobs need not be all or nothing (a replayed event makes
only those that are missing), and an insert that waits on another replica's insert of the same
identity holds no other row meanwhile (nor the claim lock: the INSERT comes first), so no
order of identities is needed against deadlocks.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from gateway.jobs.counters import POSTGRESQL
from gateway.jobs.model import ClaimTerms, JobStatus, NewJob

if TYPE_CHECKING:  # a gateway on SQLite runs migration 9's no-op without psycopg
    import psycopg
    from psycopg.rows import DictRow

RUNNING, QUEUED = JobStatus.RUNNING, JobStatus.QUEUED

_BODY = f"""
DECLARE
    v_job jobs;
    v_running bigint;
    v_call text;
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO jobs (id, service, bucket, key, etag, event, status, max_attempts, received_at,
        updated_at, next_attempt_at)
    VALUES (p_id, p_service, p_bucket, p_key, p_etag, p_event, '{QUEUED}', p_max_attempts,
        p_received, p_received, p_received)
    ON CONFLICT DO NOTHING RETURNING * INTO v_job;
    IF NOT FOUND THEN
        SELECT * INTO v_job FROM jobs
        WHERE service=p_service AND bucket=p_bucket AND key=p_key AND etag=p_etag;
        made := false;
        job := v_job;
        RETURN NEXT;
        RETURN;
    END IF;
    IF p_claim AND pg_try_advisory_xact_lock(hashtext('claim:' || p_service)) THEN
        SELECT COUNT(DISTINCT call_id) INTO v_running FROM jobs
        WHERE service=p_service AND status='{RUNNING}';
        IF v_running < p_concurrency AND NOT (p_hold_when_busy AND v_running > 0)
            AND NOT EXISTS (
                SELECT 1 FROM jobs WHERE service=p_service AND status='{QUEUED}'
                AND next_attempt_at<=p_now AND id<>p_id
            ) THEN
            v_call := replace(gen_random_uuid()::text, '-', '');
            UPDATE jobs SET status='{RUNNING}', attempts=1, call_id=v_call, dispatched_at=p_now,
                started_at=NULL, deadline_at=p_now + p_timeout, updated_at=p_now,
                claimed_by=p_replica, lease_until=p_lease
            WHERE id=p_id RETURNING * INTO v_job;
            INSERT INTO attempts (job_id, number, call_id, dispatched_at)
            VALUES (p_id, 1, v_call, p_now);
        END IF;
    END IF;
    made := true;
    job := v_job;
    RETURN NEXT;
END
"""  # noqa: S608 - the statuses are the enum's constants

# Migration 9 on PostgreSQL (SQLite inserts and claims in process: a round trip costs nothing).
FUNCTION = (
    "CREATE OR REPLACE FUNCTION oscar_add(p_id text, p_service text, p_bucket text, p_key text,"
    " p_etag text, p_event text, p_max_attempts int, p_received double precision,"
    " p_claim boolean, p_now double precision, p_timeout double precision,"
    " p_concurrency int, p_hold_when_busy boolean, p_replica text, p_lease double precision,"
    " OUT made boolean, OUT job jobs)"
    " RETURNS SETOF record LANGUAGE plpgsql VOLATILE AS $add$" + _BODY + "$add$"
)
ADD = (
    "SELECT made, (job).* FROM oscar_add(%s, %s, %s, %s, %s, %s, %s, %s,"
    " %s, %s, %s, %s, %s, %s, %s)"
)


def migration(dialect: str) -> tuple[str, ...]:
    return (FUNCTION,) if dialect == POSTGRESQL else ()


def insert_job(
    conn: psycopg.Connection[DictRow],
    new: NewJob,
    terms: ClaimTerms | None,
    *,
    replica: str,
    lease: float,
) -> tuple[DictRow, bool]:
    """`new` inserted unless its identity exists, and claimed when `terms` allow, on an
    autocommit connection: (its row, whether this made it). `lease`: seconds a claim is
    this replica's before another may queue it again."""
    identity = (new.service, new.bucket, new.key, new.etag)
    claim = (
        (True, terms.now, terms.timeout, terms.concurrency, terms.hold_when_busy)
        if terms is not None and terms.concurrency > 0
        else (False, new.received_at, 0.0, 0, False)
    )
    args = (
        uuid.uuid4().hex,
        *identity,
        new.event,
        new.max_attempts,
        new.received_at,
        *claim,
        replica,
        claim[1] + lease,
    )
    row = conn.execute(ADD, args).fetchone()
    assert row is not None  # the function returns one row: the job made, or the one there
    return row, bool(row.pop("made"))

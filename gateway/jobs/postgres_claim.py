"""The claim on PostgreSQL in one round trip: the transaction `SqlBatches.claim_batches` makes
(the service's lock, its invocations running, the due rows locked and skipped when another
replica holds them, spread over the free slots as batches, their update and their attempts'
rows) as one call of a function that migration 8 creates, `oscar_claim`, in its own autocommit
transaction. `SqlBatches` takes two statements a job in a transaction of its own; the claim
before this function took four round trips (BEGIN, the lock, the claim, COMMIT), and each
round trip to the server costs most of a millisecond on a loaded machine, where the server's
backend and the gateway's thread wait to be scheduled (docs/BENCHMARKS.md, "Where the time
went"). (psycopg's pipeline mode, which would send the four at once, measured slower: 0.6 ms
against 0.33 ms a claim on an idle loopback, its own work exceeding the round trips it saves.)

The lock is its own statement in the function, before the claim's: under READ COMMITTED each
statement of a volatile function reads a snapshot taken when it starts, so the count that
follows the lock sees the claims of the replica that held it, and the service's concurrency
holds; a count taken in the statement that waited for the lock could miss them.

The batches are `sql_batches._spread`'s: n due jobs over b = min(n, slots) batches, in order,
the first n mod b of them one job larger. A batch's jobs share a call id (one new uuid a batch,
which is how the caller tells the batches apart) and its deadline allows each job after the
first `EXTRA_PER_JOB` more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.jobs.counters import POSTGRESQL
from gateway.jobs.model import JobStatus

if TYPE_CHECKING:  # a gateway on SQLite runs migration 8's no-op without psycopg
    import psycopg
    from psycopg.rows import DictRow

RUNNING, QUEUED = JobStatus.RUNNING, JobStatus.QUEUED

# The function's body. `due` is materialised: the rows it locks are the ones claimed, computed
# once. Window functions and FOR UPDATE do not mix in one SELECT, hence `ranked` after it.
# `RETURNING jobs` is the updated row as a whole, so that the function returns `SETOF jobs`
# (whatever columns later migrations add) in the batches' order.
_BODY = f"""
BEGIN
    PERFORM set_config('synchronous_commit', 'off', true);
    PERFORM pg_advisory_xact_lock(hashtext('claim:' || p_service));
    RETURN QUERY
    WITH free AS (
        SELECT GREATEST(p_concurrency - (
            SELECT COUNT(DISTINCT call_id) FROM jobs
            WHERE service=p_service AND status='{RUNNING}'
        ), 0) AS slots
    ), due AS MATERIALIZED (
        SELECT id, next_attempt_at, received_at FROM jobs
        WHERE service=p_service AND status='{QUEUED}' AND next_attempt_at<=p_now
        ORDER BY next_attempt_at, received_at
        LIMIT (SELECT slots * GREATEST(p_size, 1) FROM free)
        FOR UPDATE SKIP LOCKED
    ), ranked AS (
        SELECT id, row_number() OVER (ORDER BY next_attempt_at, received_at, id) - 1 AS rn,
            COUNT(*) OVER () AS n
        FROM due
    ), shaped AS (
        SELECT r.id, r.rn, r.n / b.n AS share, mod(r.n, b.n) AS extra
        FROM ranked r CROSS JOIN LATERAL (SELECT LEAST(r.n, f.slots) AS n FROM free f) b
    ), placed AS (
        SELECT id, rn, CASE WHEN rn < extra * (share + 1) THEN rn / (share + 1)
            ELSE extra + (rn - extra * (share + 1)) / share END AS batch
        FROM shaped
    ), calls AS (
        SELECT batch, COUNT(*) AS members, replace(gen_random_uuid()::text, '-', '') AS call_id
        FROM placed GROUP BY batch
    ), claimed AS (
        UPDATE jobs SET status='{RUNNING}', attempts=jobs.attempts+1, call_id=calls.call_id,
            dispatched_at=p_now, started_at=NULL,
            deadline_at=p_now + p_timeout + p_extra_per_job * (calls.members - 1),
            updated_at=p_now, claimed_by=p_replica, lease_until=p_lease
        FROM placed JOIN calls ON calls.batch=placed.batch
        WHERE jobs.id=placed.id
        RETURNING jobs AS job, placed.batch AS batch, placed.rn AS rn
    ), history AS (
        INSERT INTO attempts (job_id, number, call_id, dispatched_at)
        SELECT (c.job).id, COALESCE((
            SELECT MAX(a.number) FROM attempts a WHERE a.job_id=(c.job).id
        ), 0) + 1, (c.job).call_id, p_now
        FROM claimed c
    )
    SELECT (c.job).* FROM claimed c ORDER BY c.batch, c.rn;
END
"""  # noqa: S608 - the statuses are the enum's constants

# Migration 8 on PostgreSQL (SQLite claims in process: a round trip there costs nothing).
FUNCTION = (
    "CREATE OR REPLACE FUNCTION oscar_claim(p_service text, p_size int, p_concurrency int,"
    " p_now double precision, p_timeout double precision, p_extra_per_job double precision,"
    " p_replica text, p_lease double precision)"
    " RETURNS SETOF jobs LANGUAGE plpgsql VOLATILE AS $claim$" + _BODY + "$claim$"
)
CLAIM = (
    "SELECT * FROM oscar_claim(%(service)s, %(size)s, %(concurrency)s, %(now)s, %(timeout)s,"
    " %(extra_per_job)s, %(replica)s, %(lease)s)"
)


def migration(dialect: str) -> tuple[str, ...]:
    return (FUNCTION,) if dialect == POSTGRESQL else ()


def claim_rows(conn: psycopg.Connection[DictRow], params: dict[str, Any]) -> list[list[DictRow]]:
    """Run the claim on an autocommit connection: the claimed rows, batch by batch. Lost in a
    database crash, a claim only means the job is sent again, so its commit does not wait for
    the disk (the function says so for its own transaction)."""
    batches: list[list[DictRow]] = []
    for row in conn.execute(CLAIM, params).fetchall():
        if not batches or batches[-1][0]["call_id"] != row["call_id"]:
            batches.append([])
        batches[-1].append(row)
    return batches


# OpenFaaS has the invocation: its jobs' leases end. One autocommit statement whose commit does
# not wait for the disk (the `SqlBatches` transaction is BEGIN, an UPDATE a job, COMMIT and an
# fsync, all while the call goes through NATS, a queue-worker and the provider, on the same
# cores). Lost in a database crash, a lease's end only means that the job is queued again when
# the lease runs out and sent again, as a lost claim would be: at least once.
END_LEASES = f"""
WITH unsynced AS (SELECT set_config('synchronous_commit', 'off', true))
UPDATE jobs SET lease_until=NULL FROM unsynced
WHERE id = ANY(%s) AND call_id=%s AND status='{RUNNING}'
"""  # noqa: S608 - the status is the enum's constant


def end_leases(conn: psycopg.Connection[DictRow], job_ids: list[str], call_id: str) -> None:
    """The leases of `call_id`'s jobs ended, on an autocommit connection."""
    conn.execute(END_LEASES, (job_ids, call_id))

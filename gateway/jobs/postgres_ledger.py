"""The ledger on PostgreSQL (psycopg 3 and its pool): one database for several gateways.

Claims lock their rows (`FOR UPDATE SKIP LOCKED`) under a per-service transaction lock, so no
two replicas send one attempt and a service's concurrency holds across them; the loops that run
once (timeouts, the reconciler's pass) belong to the replica holding a session advisory lock,
which PostgreSQL frees when that replica's connection dies. A database that does not answer is
`LedgerUnavailable` (HTTP 503): MinIO sends the event again, the loops try on their next pass.
"""

from __future__ import annotations

import functools
import logging
import select
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool, PoolTimeout

from gateway.credentials import Sealer
from gateway.errors import LedgerUnavailable
from gateway.jobs.counters import POSTGRESQL
from gateway.jobs.ledger_rows import job_from_row
from gateway.jobs.migrations import migrate
from gateway.jobs.model import ClaimTerms, Job, NewJob
from gateway.jobs.postgres_claim import claim_rows, end_leases
from gateway.jobs.postgres_insert import insert_job
from gateway.jobs.sql import Row, Session
from gateway.jobs.sql_batches import EXTRA_PER_JOB
from gateway.jobs.sql_ledger import LEASE_SECONDS, SqlLedger

log = logging.getLogger(__name__)
MIGRATION_LOCK = 0x05CA_0001  # two gateways starting at once migrate one after the other
FAILURES = (psycopg.OperationalError, psycopg.InterfaceError, PoolTimeout)


@functools.lru_cache(maxsize=256)
def _dialect(sql: str) -> str:
    return sql.replace("?", "%s")


class _Session:
    def __init__(self, conn: psycopg.Connection[DictRow]) -> None:
        self._conn = conn

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return list(self._conn.execute(_dialect(sql), args).fetchall())

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        return self._conn.execute(_dialect(sql), args).fetchone()

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        return self._conn.execute(_dialect(sql), args).rowcount


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "an unreadable URL"
    return f"{parts.get('host', 'localhost')}:{parts.get('port', 5432)}/{parts.get('dbname', '')}"


def _check(conn: psycopg.Connection[Any]) -> None:
    """The pool's check of a connection it hands out, without a round trip while the connection
    is quiet: an idle connection the server closed (a restart, a terminated backend) has its
    farewell or its end waiting on the socket, and only then is it asked (and, if dead,
    replaced). A check on every checkout cost a round trip before every statement."""
    idle = conn.pgconn.status == psycopg.pq.ConnStatus.OK
    if idle and not select.select([conn.pgconn.socket], [], [], 0)[0]:
        return
    ConnectionPool.check_connection(conn)


class PostgresDatabase:
    dialect = POSTGRESQL
    claim_rows = " FOR UPDATE SKIP LOCKED"
    lock_row = " FOR UPDATE"

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 12,
        connect_timeout: float = 5.0,
        sealer: Sealer | None = None,
    ) -> None:
        self._url = url
        self._where = describe(url)
        self._timeout = connect_timeout
        with self._unavailable_as_error("start"), self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            migrate(_Session(conn), where=self._where, dialect=self.dialect, sealer=sealer)
        self._pool: ConnectionPool[psycopg.Connection[DictRow]] = ConnectionPool(
            url,
            # Autocommit: a read is one statement, not BEGIN, the statement and a ROLLBACK;
            # `write` opens its transaction itself.
            kwargs={
                "row_factory": dict_row,
                "connect_timeout": int(connect_timeout),
                "autocommit": True,
            },
            min_size=2,
            max_size=pool_size,
            timeout=connect_timeout,
            check=_check,
            open=False,
            name="ledger",
        )
        with self._unavailable_as_error("start"):
            self._pool.open(wait=True, timeout=connect_timeout)
        self._leading = threading.Lock()
        self._leader: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()

    def _connect(self) -> psycopg.Connection[DictRow]:
        return psycopg.connect(self._url, connect_timeout=int(self._timeout), row_factory=dict_row)

    @contextmanager
    def _unavailable_as_error(self, doing: str) -> Iterator[None]:
        try:
            yield
        except FAILURES as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise LedgerUnavailable(
                f"the ledger's PostgreSQL at {self._where} does not answer ({doing}): {first};"
                " start it, or check OSCAR_LEDGER_URL"
            ) from e

    @contextmanager
    def write(self) -> Iterator[_Session]:
        with (
            self._unavailable_as_error("write"),
            self._pool.connection() as conn,
            conn.transaction(),
        ):
            yield _Session(conn)

    @contextmanager
    def read(self) -> Iterator[_Session]:
        with self._unavailable_as_error("read"), self._pool.connection() as conn:
            yield _Session(conn)

    def serialise(self, session: Session, name: str) -> None:
        session.one("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    def unsynced(self, session: Session) -> None:
        session.run("SET LOCAL synchronous_commit TO OFF")

    def flush(self) -> None:
        """A commit that waits for the disk, which puts every commit before it there too (the
        WAL is flushed in order): a transaction of one xid and nothing else."""
        with self.read() as session:
            session.one("SELECT pg_current_xact_id()")

    def claim(self, params: dict[str, Any]) -> list[list[Row]]:
        with self._unavailable_as_error("write"), self._pool.connection() as conn:
            return [list(batch) for batch in claim_rows(conn, params)]

    def end_leases(self, job_ids: Sequence[str], call_id: str) -> None:
        with self._unavailable_as_error("write"), self._pool.connection() as conn:
            end_leases(conn, list(job_ids), call_id)

    def insert(
        self,
        jobs: Sequence[NewJob],
        claim: Mapping[str, ClaimTerms],
        *,
        replica: str,
        lease: float,
    ) -> list[tuple[Row, bool]]:
        with self._unavailable_as_error("write"), self._pool.connection() as conn:
            return [
                insert_job(conn, new, claim.get(new.service), replica=replica, lease=lease)
                for new in jobs
            ]

    def leads(self, role: str) -> bool:
        """Whether this replica holds `role`'s session lock; tries to take it when not. A lost
        connection loses every lock it held (PostgreSQL frees them), and this learns so."""
        with self._leading:
            try:
                if self._leader is None or self._leader.closed:
                    self._held.clear()
                    self._leader = psycopg.connect(
                        self._url, autocommit=True, connect_timeout=int(self._timeout)
                    )
                if role in self._held:
                    self._leader.execute("SELECT 1")
                    return True
                row = self._leader.execute(
                    "SELECT pg_try_advisory_lock(hashtext(%s))", (role,)
                ).fetchone()
            except psycopg.Error as e:
                log.warning("ledger lock %r not held: %s", role, str(e).strip()[:200])
                self._drop_leader()
                return False
            if row and row[0]:
                self._held.add(role)
                log.info("this replica now leads %r", role)
            return role in self._held

    def _drop_leader(self) -> None:
        self._held.clear()
        if self._leader is not None:
            self._leader.close()
        self._leader = None

    def ping(self) -> None:
        with self.read() as session:
            session.one("SELECT 1")

    def close(self) -> None:
        self._pool.close()
        with self._leading:
            self._drop_leader()


class PostgresLedger(SqlLedger):
    def __init__(
        self,
        url: str,
        *,
        lease: float = LEASE_SECONDS,
        replica: str = "",
        sealer: Sealer | None = None,
    ) -> None:
        self._pg = PostgresDatabase(url, sealer=sealer)
        super().__init__(self._pg, lease=lease, replica=replica)

    def _insert(
        self, jobs: Iterable[NewJob], claim: Mapping[str, ClaimTerms]
    ) -> list[tuple[Job, bool]]:
        """Each job in one round trip of its own, claimed in it when `claim` allows
        (`postgres_insert`)."""
        rows = self._pg.insert(list(jobs), claim, replica=self._replica, lease=self._lease)
        return [(job_from_row(row), made) for row, made in rows]

    def mark_sent(self, job_id: str, call_id: str) -> None:
        self._pg.end_leases([job_id], call_id)

    def mark_sent_many(self, job_ids: Sequence[str], call_id: str) -> None:
        """The leases' end in one round trip that waits for no disk (`postgres_claim`)."""
        self._pg.end_leases(job_ids, call_id)

    def claim_batches(
        self, service: str, *, size: int, now: float, timeout: float, concurrency: int
    ) -> list[list[Job]]:
        """`SqlBatches.claim_batches` in one statement after the service's lock
        (`postgres_claim`), whatever the batches' number and size."""
        if concurrency <= 0:
            return []
        params = {
            "service": service,
            "size": size,
            "concurrency": concurrency,
            "now": now,
            "timeout": timeout,
            "extra_per_job": EXTRA_PER_JOB,
            "replica": self._replica,
            "lease": now + self._lease,
        }
        return [[job_from_row(row) for row in batch] for batch in self._pg.claim(params)]

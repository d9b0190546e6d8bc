"""The ledger on SQLite in WAL mode: the embedded default, for one gateway.

WAL with synchronous=NORMAL survives a process crash (what the reliability tests do to the
gateway); FULL would also survive power loss, at a cost on every event, and can be chosen with
LEDGER_SYNCHRONOUS=FULL. One connection behind a lock: SQLite has one writer at a time anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gateway.credentials import Sealer
from gateway.jobs.counters import SQLITE
from gateway.jobs.migrations import migrate
from gateway.jobs.sql import Row, Session
from gateway.jobs.sql_ledger import LEASE_SECONDS, SqlLedger


class _Session:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]:
        return list(self._db.execute(sql, args).fetchall())

    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._db.execute(sql, args).fetchone()
        return row

    def run(self, sql: str, args: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, args).rowcount


class SqliteDatabase:
    dialect = SQLITE
    claim_rows = ""  # BEGIN IMMEDIATE already holds the one write lock
    lock_row = ""

    def __init__(
        self, path: Path, *, synchronous: str = "NORMAL", sealer: Sealer | None = None
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        with self.write() as session:
            migrate(session, where=str(path), dialect=self.dialect, sealer=sealer)

    @contextmanager
    def write(self) -> Iterator[_Session]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield _Session(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[_Session]:
        with self._lock:
            yield _Session(self._db)

    def serialise(self, session: Session, name: str) -> None:
        """Nothing to do: the write transaction excludes every other writer."""

    def unsynced(self, session: Session) -> None:
        """Nothing to do: with synchronous=NORMAL no commit waits for the disk."""

    def flush(self) -> None:
        """Nothing to do: every commit is already as durable as the synchronous setting says."""

    def leads(self, role: str) -> bool:
        return True  # one gateway per SQLite file

    def ping(self) -> None:
        with self.read() as session:
            session.one("SELECT 1")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class SqliteLedger(SqlLedger):
    def __init__(
        self,
        path: Path,
        *,
        synchronous: str = "NORMAL",
        lease: float = LEASE_SECONDS,
        sealer: Sealer | None = None,
        replica: str = "",
    ) -> None:
        database = SqliteDatabase(path, synchronous=synchronous, sealer=sealer)
        super().__init__(database, lease=lease, replica=replica)

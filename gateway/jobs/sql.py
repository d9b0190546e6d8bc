"""What the ledger's logic needs of a SQL database, so that one `SqlLedger` runs on SQLite and on
PostgreSQL. Statements are written with `?` placeholders; a backend that wants others converts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

Row = Mapping[str, Any]


class Session(Protocol):
    """One transaction's statements."""

    def rows(self, sql: str, args: Sequence[Any] = ()) -> list[Row]: ...
    def one(self, sql: str, args: Sequence[Any] = ()) -> Row | None: ...
    def run(self, sql: str, args: Sequence[Any] = ()) -> int: ...


class Database(Protocol):
    dialect: str  # gateway.jobs.counters.SQLITE or POSTGRESQL: for what they spell differently
    # Appended to the SELECT that picks rows to change: PostgreSQL locks them, skipping rows
    # another replica holds; SQLite's write transaction already excludes every other writer.
    claim_rows: str
    lock_row: str

    def write(self) -> AbstractContextManager[Session]: ...
    def read(self) -> AbstractContextManager[Session]: ...
    def serialise(self, session: Session, name: str) -> None:
        """Hold `name` until the session's transaction ends (no other replica holds it then)."""
        ...

    def unsynced(self, session: Session) -> None:
        """Let this transaction's commit return before its log is on disk. Only for writes whose
        loss in a database crash repeats work rather than loses it (a claim: the job is queued
        again and re-sent, which at-least-once allows), or that are flushed before anyone is
        told they happened (`flush`)."""
        ...

    def flush(self) -> None:
        """Return once every commit made so far is as durable as a synchronous one."""
        ...

    def leads(self, role: str) -> bool:
        """Whether this process holds `role` (one replica at a time): taken when free."""
        ...

    def ping(self) -> None: ...
    def close(self) -> None: ...

"""One ledger contract, two backends: every test that takes `ledger` runs on SQLite and on a
real PostgreSQL server (one per session, a fresh database per test)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from gateway.jobs.ledger import Ledger
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.postgres import PostgresServer

Opener = Callable[..., Ledger]
Execute = Callable[[Sequence[str]], None]


@dataclass(frozen=True)
class Where:
    backend: str  # sqlite or postgres
    location: str  # the file, or the database's URL


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgres"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Where:
    if request.param == "sqlite":
        return Where("sqlite", str(tmp_path / "ledger.db"))
    return Where("postgres", request.getfixturevalue("postgres").create_database())


@pytest.fixture
def open_ledger(where: Where) -> Iterator[Opener]:
    """Opens the test's one ledger (again, after a close: a restart), with the given options."""
    opened: list[Ledger] = []

    def opener(**options: Any) -> Ledger:
        if where.backend == "sqlite":
            opened.append(SqliteLedger(Path(where.location), **options))
        else:
            opened.append(PostgresLedger(where.location, **options))
        return opened[-1]

    yield opener
    for ledger in opened:
        ledger.close()


@pytest.fixture
def execute(where: Where) -> Execute:
    """Runs SQL on the test's database as it is, before any ledger opens it (an old ledger)."""

    def run(statements: Sequence[str]) -> None:
        if where.backend == "sqlite":
            with sqlite3.connect(where.location) as db:
                for statement in statements:
                    db.execute(statement)
            db.close()
            return
        with psycopg.connect(where.location) as conn:
            for statement in statements:
                conn.execute(statement.encode())

    return run


@pytest.fixture
def ledger(open_ledger: Opener) -> Ledger:
    return open_ledger()

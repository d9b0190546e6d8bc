"""One ledger contract, two backends: every test that takes `ledger` runs on SQLite and on a
real PostgreSQL server (one per session, a fresh database per test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gateway.jobs.ledger import Ledger
from gateway.jobs.postgres_ledger import PostgresLedger
from gateway.jobs.sqlite_ledger import SqliteLedger
from tests.support.postgres import PostgresServer

Opener = Callable[..., Ledger]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture(params=["sqlite", "postgres"])
def open_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens the test's one ledger (again, after a close: a restart), with the given options."""
    opened: list[Ledger] = []
    if request.param == "sqlite":

        def opener(**options: float) -> Ledger:
            opened.append(SqliteLedger(tmp_path / "ledger.db", **options))  # type: ignore[arg-type]
            return opened[-1]
    else:
        url = request.getfixturevalue("postgres").create_database()

        def opener(**options: float) -> Ledger:
            opened.append(PostgresLedger(url, **options))  # type: ignore[arg-type]
            return opened[-1]

    yield opener
    for ledger in opened:
        ledger.close()


@pytest.fixture
def ledger(open_ledger: Opener) -> Ledger:
    return open_ledger()

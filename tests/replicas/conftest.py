"""A stack of three gateways on one PostgreSQL ledger (`oscar up --gateways 3 --ledger URL`),
the PostgreSQL a real server of the test's own. Its own tier folder: one stack per machine, and
this one is not the reliability tier's (tests/conftest.py runs it right after that tier)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import PostgresServer
from tests.support.stack import RunningStack, running_stack

GATEWAYS = 3


@pytest.fixture(scope="package")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    yield server
    server.remove()


@pytest.fixture(scope="package")
def stack(postgres: PostgresServer) -> Iterator[RunningStack]:
    settings = {
        "OSCAR_FUNCTION_TIMEOUT": "20s",
        "OSCAR_GATEWAYS": str(GATEWAYS),
        "OSCAR_LEDGER_URL": postgres.create_database(),
    }
    with running_stack(settings) as running:
        yield running

"""Fixtures of the fuzz tier: a fake OpenFaaS on loopback and the gateway built over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz.gateway_stack import Gateway, gateway, start_openfaas
from tests.fuzz.openfaas_server import FakeOpenFaaS


@pytest.fixture(scope="module")
def shared_openfaas() -> Iterator[FakeOpenFaaS]:
    """One OpenFaaS for a module's properties: they read its functions and never change them."""
    openfaas = start_openfaas()
    yield openfaas
    openfaas.stop()


@pytest.fixture
def openfaas() -> Iterator[FakeOpenFaaS]:
    """An OpenFaaS of the test's own, for tests that deploy, remove or count calls."""
    openfaas = start_openfaas()
    yield openfaas
    openfaas.stop()


@pytest.fixture
def gw(tmp_path: Path, openfaas: FakeOpenFaaS) -> Iterator[Gateway]:
    with gateway(tmp_path, openfaas) as built:
        yield built


@pytest.fixture(scope="module")
def shared_gw(
    shared_openfaas: FakeOpenFaaS, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Gateway]:
    """One gateway for all the examples of a module's properties, so each property holds for
    whatever the examples before it left in the ledger."""
    with gateway(tmp_path_factory.mktemp("gateway"), shared_openfaas) as built:
        yield built
